// The service's logger: JSON lines on stdout, written asynchronously. pino's default writes each
// line with a system call of its own before the log call returns; under load that was about a
// tenth of the service's CPU (two lines per run: the trigger's request and the run's end, each
// write also waking whatever reads the pipe). Written asynchronously, the lines of one moment go
// out in one write. pino flushes what is pending when the process exits; a process killed outright
// can lose the lines of its last moment. The runs themselves are durable in the store, not here.
import { pino, type Logger } from "pino";

export function serviceLogger(level: string): Logger {
  return pino({ level }, pino.destination({ dest: 1, sync: false }));
}
