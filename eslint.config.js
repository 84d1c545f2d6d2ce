// Lint rules: ESLint's and typescript-eslint's recommended sets, plus the house rules that a
// formatter cannot check (no floating promises in sources would need type information; kept out
// so `npm run lint` stays fast).
import js from "@eslint/js";
import globals from "globals";
import tseslint from "typescript-eslint";

export default tseslint.config(
  {
    ignores: [
      "dist/",
      "dist-bench/",
      "node_modules/",
      "coverage/",
      "data/",
      "src/service/ui/static/vendor/",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" },
      ],
      "@typescript-eslint/consistent-type-imports": ["error", { disallowTypeAnnotations: false }],
      // Sanitizers match control characters on purpose (file names, slugs).
      "no-control-regex": "off",
    },
  },
  {
    // A run state is copied on every transition; a spread gives each copy a hidden class of its
    // own and sends V8 down its slow path (docs/design/run-engine.md).
    files: ["src/engine/**/*.ts", "src/runner/**/*.ts"],
    ignores: ["**/*.test.ts"],
    rules: {
      "no-restricted-syntax": [
        "error",
        {
          selector:
            "ObjectExpression > SpreadElement > Identifier[name=/^(state|before|fresh|current|saved|initial|resumed)$/], ObjectExpression > SpreadElement > MemberExpression[property.name=/^(state|initial)$/], ObjectExpression > SpreadElement > CallExpression[callee.name=/^(clearError|withoutWake|shaped|copyState|nextState)$/]",
          message:
            "Copy a run state with copyState or nextState (src/engine/state-copy.ts), not a spread: spread copies fork V8's hidden classes until every copy takes the slow path.",
        },
      ],
    },
  },
  {
    files: ["src/service/ui/static/**/*.js", "src/service/ui/editor/**/*.js"],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    files: ["**/*.test.ts", "test/**/*.ts", "bench/**/*.ts"],
    rules: {
      "@typescript-eslint/no-explicit-any": "off",
      "@typescript-eslint/no-non-null-assertion": "off",
    },
  },
);
