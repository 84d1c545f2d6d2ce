export * from "./redactor.ts";
export * from "./secret-forms.ts";
