export * from "./notify-config.ts";
export * from "./send-notifications.ts";
