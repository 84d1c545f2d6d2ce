export * from "./parse-template.ts";
export * from "./referenced-variables.ts";
export * from "./render-data.ts";
export * from "./render-template.ts";
export * from "./scope.ts";
