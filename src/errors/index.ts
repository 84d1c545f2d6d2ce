export * from "./catalog.ts";
export * from "./format.ts";
export * from "./hirewire-error.ts";
export * from "./messages.ts";
