// Realistic manifests in the style ChiefOnboarding admins write and share (Slack, Asana, Google
// Workspace, a BambooHR-like user sync). Tests use them as "must be valid" fixtures; they also
// show every block of the manifest surface in use.

/** Slack: look the hire up by email, invite them to a channel chosen in the form. */
export const slackManifest = {
  form: [
    {
      id: "SLACK_CHANNEL",
      name: "Channel",
      type: "choice",
      url: "https://slack.com/api/conversations.list?limit=200",
      method: "GET",
      data_from: "channels",
      choice_value: "id",
      choice_name: "name",
    },
  ],
  exists: {
    url: "https://slack.com/api/users.lookupByEmail?email={{ email|urlencode }}",
    method: "GET",
    expected: '"ok":true',
    fail_when_4xx_response_code: false,
  },
  execute: [
    {
      url: "https://slack.com/api/users.lookupByEmail?email={{ email|urlencode }}",
      method: "GET",
      store_data: { SLACK_USER_ID: "user.id" },
      continue_if: { response_notation: "ok", value: "true" },
    },
    {
      url: "https://slack.com/api/conversations.invite",
      data: { channel: "{{ SLACK_CHANNEL }}", users: "{{ SLACK_USER_ID }}" },
      status_code: [200],
    },
  ],
  headers: {
    Authorization: "Bearer {{ SLACK_BOT_TOKEN }}",
    "Content-Type": "application/json; charset=utf-8",
  },
  initial_data_form: [
    {
      id: "SLACK_BOT_TOKEN",
      name: "Bot token (xoxb-…)",
      description: "From the Slack app settings.",
    },
  ],
  post_execute_notification: [
    { type: "text", to: "{{ manager_email }}", message: "{{ first_name }} was invited to Slack." },
  ],
};

/** Asana: add the hire to the workspace and a team, with a revoke block. */
export const asanaManifest = {
  $schema: "https://hirewire.dev/schema/manifest.schema.json",
  form: [
    {
      id: "TEAM_ID",
      name: "Team",
      type: "choice",
      items: [
        { id: "1201", name: "Engineering" },
        { id: "1202", name: "Sales" },
      ],
    },
  ],
  execute: [
    {
      name: "add to workspace",
      url: "https://app.asana.com/api/1.0/workspaces/{{ ASANA_WORKSPACE }}/addUser",
      method: "POST",
      data: { data: { user: "{{ email }}" } },
      store_data: { ASANA_USER_GID: "data.gid" },
      status_code: [200, "201"],
    },
    {
      url: "https://app.asana.com/api/1.0/teams/{{ TEAM_ID }}/addUser",
      data: { data: { user: "{{ ASANA_USER_GID }}" } },
      retry: { max: 2, on: ["network", "5xx", 429] },
      timeout: 10,
    },
  ],
  revoke: [
    {
      url: "https://app.asana.com/api/1.0/workspaces/{{ ASANA_WORKSPACE }}/removeUser",
      data: { data: { user: "{{ email }}" } },
      status_code: ["200", 204],
    },
  ],
  headers: { Authorization: "Bearer {{ ASANA_TOKEN }}", Accept: "application/json" },
  initial_data_form: [
    { id: "ASANA_TOKEN", name: "Personal access token" },
    { id: "ASANA_WORKSPACE", name: "Workspace id", secret: false },
  ],
  extra_user_info: [
    { id: "ASANA_TEAM", name: "Asana team", description: "Team to add the hire to." },
  ],
};

/** Google Workspace: OAuth, create the account, poll a data transfer, copy a contract. */
export const googleManifest = {
  oauth: {
    authenticate_url:
      "https://accounts.google.com/o/oauth2/v2/auth?client_id={{ CLIENT_ID }}&redirect_uri={{ redirect_url|urlencode }}&response_type=code&scope=https://www.googleapis.com/auth/admin.directory.user&access_type=offline&prompt=consent",
    access_token: {
      url: "https://oauth2.googleapis.com/token?code={{ code }}&client_id={{ CLIENT_ID }}&client_secret={{ CLIENT_SECRET }}&redirect_uri={{ redirect_url }}&grant_type=authorization_code",
      method: "POST",
    },
    refresh: {
      url: "https://oauth2.googleapis.com/token?client_id={{ CLIENT_ID }}&client_secret={{ CLIENT_SECRET }}&refresh_token={{ oauth.refresh_token }}&grant_type=refresh_token",
      method: "POST",
    },
    without_code: false,
  },
  execute: [
    {
      url: "https://admin.googleapis.com/admin/directory/v1/users",
      method: "POST",
      data: {
        primaryEmail: "{{ first_name|lower }}.{{ last_name|lower }}@{{ DOMAIN }}",
        name: { givenName: "{{ first_name }}", familyName: "{{ last_name }}" },
        password: "{{ PASSWORD }}",
        changePasswordAtNextLogin: true,
      },
      store_data: { GOOGLE_USER_ID: "id", "google-primary-email": "primaryEmail" },
    },
    {
      url: "https://admin.googleapis.com/admin/datatransfer/v1/transfers",
      data: { newOwnerUserId: "{{ GOOGLE_USER_ID }}", oldOwnerUserId: "{{ TEMPLATE_USER_ID }}" },
      store_data: { TRANSFER_ID: "id" },
    },
    {
      url: "https://admin.googleapis.com/admin/datatransfer/v1/transfers/{{ TRANSFER_ID }}",
      method: "GET",
      continue_if: { response_notation: "overallTransferStatusCode", value: "completed" },
      polling: { interval: 2.5, amount: 40 },
    },
    {
      url: "{{ CONTRACTS_URL }}/{{ email|urlencode }}/contract.pdf",
      method: "GET",
      headers: { Authorization: "Basic {{ CONTRACTS_USER }}:{{ CONTRACTS_PASSWORD }}" },
      save_as_file: "contract.pdf",
    },
    {
      url: "https://www.googleapis.com/upload/drive/v3/files?uploadType=multipart",
      files: { document: "contract.pdf" },
      data: { name: "Contract {{ first_name }} {{ last_name }}" },
      expected: '"id"',
    },
  ],
  headers: { Authorization: "Bearer {{ oauth.access_token }}" },
  initial_data_form: [
    { id: "CLIENT_ID", name: "OAuth client id", secret: false },
    { id: "CLIENT_SECRET", name: "OAuth client secret" },
    { id: "DOMAIN", name: "Primary domain", secret: false },
    { id: "PASSWORD", name: "generate" },
    { id: "TEMPLATE_USER_ID", name: "User whose files are copied" },
    { id: "CONTRACTS_URL", name: "Contracts service URL" },
    { id: "CONTRACTS_USER", name: "Contracts user" },
    { id: "CONTRACTS_PASSWORD", name: "Contracts password" },
  ],
  post_execute_notification: [
    {
      type: "email",
      to: "{{ manager_email }}",
      subject: "Google account for {{ first_name }}",
      message: '{{ first_name }} {{ last_name }} can sign in from {{ start|date:"Y-m-d" }}.',
    },
  ],
};

/** A BambooHR-like user sync: paged, scheduled, creating hires. */
export const syncManifest = {
  action: "create",
  schedule: "0 6 * * 1-5",
  execute: [{ url: "https://api.bamboohr.example/v1/employees?status=new", method: "GET" }],
  data_from: "employees",
  data_structure: {
    email: "workEmail",
    first_name: "firstName",
    last_name: "lastName",
    start: "hireDate",
  },
  next_page: "https://api.bamboohr.example/v1/employees?status=new&cursor={{ NEXT_PAGE_TOKEN }}",
  next_page_token_from: "meta.next_cursor",
  amount_pages_to_fetch: 20,
  headers: { Authorization: "Basic {{ BAMBOO_KEY }}:x" },
  initial_data_form: [{ id: "BAMBOO_KEY", name: "API key" }],
};

/** All samples by name. */
export const SAMPLE_MANIFESTS: Readonly<Record<string, unknown>> = Object.freeze({
  slack: slackManifest,
  asana: asanaManifest,
  google: googleManifest,
  sync: syncManifest,
});
