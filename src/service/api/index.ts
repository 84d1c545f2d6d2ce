export { createApi, API_VERSION, MAX_BODY_BYTES } from "./create-api.ts";
export type { ApiDeps, ApiEnv, ApiVariables } from "./api-deps.ts";
