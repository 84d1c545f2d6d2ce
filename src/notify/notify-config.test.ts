// Reading the notification channels from environment variables: defaults, half-configured
// channels and malformed values are caught at start-up.
import { describe, expect, it } from "vitest";
import { isHirewireError } from "../errors/index.ts";
import { notifyConfigFromEnv } from "./notify-config.ts";

function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error("expected a throw");
}

describe("notifyConfigFromEnv", () => {
  it("leaves out channels with no variables set", () => {
    expect(notifyConfigFromEnv({ PATH: "/bin", HIREWIRE_SMTP_HOST: " " })).toEqual({});
  });

  it("reads both channels", () => {
    const config = notifyConfigFromEnv({
      HIREWIRE_SMTP_HOST: "smtp.corp.test",
      HIREWIRE_SMTP_PORT: "2525",
      HIREWIRE_SMTP_USER: "mailer",
      HIREWIRE_SMTP_PASS: "pw-1234",
      HIREWIRE_SMTP_FROM: "Onboarding <onboarding@corp.test>",
      HIREWIRE_TWILIO_BASE_URL: "http://127.0.0.1:9999",
      HIREWIRE_TWILIO_ACCOUNT_SID: "AC1",
      HIREWIRE_TWILIO_AUTH_TOKEN: "token",
      HIREWIRE_TWILIO_FROM: "+15550001111",
    });

    expect(config).toEqual({
      smtp: {
        host: "smtp.corp.test",
        port: 2525,
        secure: false,
        user: "mailer",
        pass: "pw-1234",
        from: "Onboarding <onboarding@corp.test>",
      },
      text: {
        baseUrl: "http://127.0.0.1:9999",
        accountSid: "AC1",
        authToken: "token",
        from: "+15550001111",
      },
    });
  });

  it("defaults the port from SECURE and the text API to Twilio", () => {
    const env = { HIREWIRE_SMTP_HOST: "h", HIREWIRE_SMTP_FROM: "f@x.test" };
    expect(notifyConfigFromEnv(env).smtp?.port).toBe(587);
    expect(notifyConfigFromEnv({ ...env, HIREWIRE_SMTP_SECURE: "true" }).smtp).toMatchObject({
      port: 465,
      secure: true,
    });
    const text = notifyConfigFromEnv({
      HIREWIRE_TWILIO_ACCOUNT_SID: "AC1",
      HIREWIRE_TWILIO_AUTH_TOKEN: "token",
      HIREWIRE_TWILIO_FROM: "+1",
    }).text;
    expect(text?.baseUrl).toBe("https://api.twilio.com");
  });

  it("names what a half-configured channel is missing", () => {
    const smtp = thrownBy(() => notifyConfigFromEnv({ HIREWIRE_SMTP_HOST: "h" }));
    expect(isHirewireError(smtp, "INPUT_INVALID")).toBe(true);
    expect((smtp as Error).message).toBe(
      "email notifications are half configured: set HIREWIRE_SMTP_FROM",
    );

    const login = thrownBy(() =>
      notifyConfigFromEnv({
        HIREWIRE_SMTP_HOST: "h",
        HIREWIRE_SMTP_FROM: "f",
        HIREWIRE_SMTP_USER: "u",
      }),
    );
    expect((login as Error).message).toContain("HIREWIRE_SMTP_PASS");

    const text = thrownBy(() => notifyConfigFromEnv({ HIREWIRE_TWILIO_FROM: "+1" }));
    expect((text as Error).message).toBe(
      "text notifications are half configured: set HIREWIRE_TWILIO_ACCOUNT_SID and HIREWIRE_TWILIO_AUTH_TOKEN",
    );
  });

  it("refuses malformed values", () => {
    const base = { HIREWIRE_SMTP_HOST: "h", HIREWIRE_SMTP_FROM: "f" };
    expect(
      (thrownBy(() => notifyConfigFromEnv({ ...base, HIREWIRE_SMTP_PORT: "25x" })) as Error)
        .message,
    ).toContain("HIREWIRE_SMTP_PORT");
    expect(
      (thrownBy(() => notifyConfigFromEnv({ ...base, HIREWIRE_SMTP_SECURE: "maybe" })) as Error)
        .message,
    ).toContain("HIREWIRE_SMTP_SECURE must be true or false");
    const url = thrownBy(() =>
      notifyConfigFromEnv({
        HIREWIRE_TWILIO_BASE_URL: "ftp://x",
        HIREWIRE_TWILIO_ACCOUNT_SID: "AC1",
        HIREWIRE_TWILIO_AUTH_TOKEN: "t",
        HIREWIRE_TWILIO_FROM: "+1",
      }),
    );
    expect((url as Error).message).toContain("HIREWIRE_TWILIO_BASE_URL must be an http(s) URL");
  });
});
