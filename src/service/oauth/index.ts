export { oauthRoutes } from "./oauth-routes.ts";
export { oauthCallbackRoute } from "./callback-route.ts";
export { connectOAuth, type ConnectInput, type ConnectResult } from "./connect.ts";
export { oauthStatus, usesOAuth, OAuthStatusSchema, type OAuthStatus } from "./oauth-status.ts";
