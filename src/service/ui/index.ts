export { uiRoutes, UI_CONTENT_SECURITY_POLICY, type UiOptions } from "./ui-routes.ts";
