// Example integrations seeded on first start; they target the sandbox API on this same server.
import type { ProvisioningManifest } from "../../manifest/types.ts";

const secretsForm = [
  { id: "BASE_URL", name: "Sandbox API base URL", secret: false },
  { id: "SANDBOX_TOKEN", name: "Sandbox API token" },
];
const headers = { Authorization: "Bearer {{ SANDBOX_TOKEN }}" };

export const SANDBOX_INTEGRATIONS: ReadonlyArray<{ name: string; manifest: ProvisioningManifest }> =
  [
    {
      name: "Sandbox: create account",
      manifest: {
        initial_data_form: secretsForm,
        headers,
        execute: [
          {
            name: "Create user",
            url: "{{ BASE_URL }}/users",
            data: {
              email: "{{ email|lower }}",
              first_name: "{{ first_name }}",
              last_name: "{{ last_name }}",
            },
            store_data: { SANDBOX_USER_ID: "id" },
          },
        ],
      },
    },
    {
      name: "Sandbox: contract",
      manifest: {
        initial_data_form: secretsForm,
        extra_user_info: [
          {
            id: "SANDBOX_USER_ID",
            name: "Sandbox user id",
            description: "Stored by “Sandbox: create account”",
          },
        ],
        headers,
        execute: [
          {
            name: "Start contract job",
            url: "{{ BASE_URL }}/documents",
            data: { user_id: "{{ SANDBOX_USER_ID }}" },
            store_data: { CONTRACT_JOB_ID: "job_id" },
          },
          {
            name: "Wait for the contract",
            method: "GET",
            url: "{{ BASE_URL }}/jobs/{{ CONTRACT_JOB_ID }}",
            polling: { interval: 1, amount: 20 },
            continue_if: { response_notation: "status", value: "done" },
            store_data: { CONTRACT_DOCUMENT_ID: "document_id" },
          },
          {
            name: "Download the contract",
            method: "GET",
            url: "{{ BASE_URL }}/documents/{{ CONTRACT_DOCUMENT_ID }}/download",
            save_as_file: "contract.pdf",
          },
          {
            name: "Upload the contract",
            url: "{{ BASE_URL }}/uploads",
            files: { file: "contract.pdf" },
            store_data: { CONTRACT_UPLOAD_ID: "upload_id" },
          },
        ],
      },
    },
  ];
