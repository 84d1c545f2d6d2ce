export * from "./catalog.ts";
export * from "./hirewire-error.ts";
