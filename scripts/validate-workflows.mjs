// Validate the rendered k8s/workflows objects that kubernetes-validate has no schema for:
// Argo Workflows kinds (@kubernetes-models/argo-workflows) and External Secrets kinds
// (@kubernetes-models/external-secrets). Without this a typo'd field renders, passes every
// other check, and is refused (or dropped) by the controller in the cluster.
// Usage: node scripts/validate-workflows.mjs FILE...   (exit 1 on any invalid or unknown object)
import { readFileSync } from "node:fs";
import { relative } from "node:path";
import { parseAllDocuments } from "yaml";
import * as argo from "@kubernetes-models/argo-workflows/argoproj.io/v1alpha1";
import * as eso from "@kubernetes-models/external-secrets/external-secrets.io/v1";

// Only the Argo Workflows kinds: an Argo CD or Argo Events object here is a mistake.
const MODELS = {
  "argoproj.io/v1alpha1": {
    WorkflowTemplate: argo.WorkflowTemplate,
    CronWorkflow: argo.CronWorkflow,
    Workflow: argo.Workflow,
  },
  "external-secrets.io/v1": {
    ExternalSecret: eso.ExternalSecret,
    ClusterSecretStore: eso.ClusterSecretStore,
  },
};
const GROUPS = ["argoproj.io/", "external-secrets.io/"];

// Where the npm schema and Argo's wire format disagree, shape the object as the schema wants:
// - a steps template is a list of lists, which the schema models as [{steps: [...]}] (its
//   own comment: "there isn't actually a steps key in the JSON serialization");
// - a template's container reuses the Pod schema, where `name` is required; Argo names the
//   container `main` itself, and the manifest leaves it out.
function schemaShape(obj) {
  const spec = obj.spec?.workflowSpec ?? obj.spec;
  for (const template of spec?.templates ?? []) {
    if (template.container && template.container.name === undefined) {
      template.container = { name: "main", ...template.container };
    }
    if (Array.isArray(template.steps)) {
      template.steps = template.steps.map((group) => (Array.isArray(group) ? { steps: group } : group));
    }
  }
  return obj;
}

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error("usage: node scripts/validate-workflows.mjs FILE...");
  process.exit(2);
}
let checked = 0;
let failed = 0;
for (const file of files) {
  for (const doc of parseAllDocuments(readFileSync(file, "utf8"))) {
    if (doc.errors.length) {
      console.error(`FAIL ${relative(".", file)}: ${doc.errors[0].message}`);
      failed++;
      continue;
    }
    const obj = doc.toJS();
    const apiVersion = String(obj?.apiVersion ?? "");
    if (!GROUPS.some((group) => apiVersion.startsWith(group))) continue;
    const where = `${relative(".", file)}: ${obj.kind}/${obj.metadata?.name}`;
    const Model = MODELS[apiVersion]?.[obj.kind];
    checked++;
    if (!Model) {
      console.error(`FAIL ${where}: no schema for ${apiVersion} ${obj.kind}; add it to MODELS`);
      failed++;
      continue;
    }
    try {
      new Model(schemaShape(obj)).validate();
      console.log(`ok   ${where}`);
    } catch (err) {
      console.error(`FAIL ${where}: ${err.message}`);
      failed++;
    }
  }
}
if (checked === 0) {
  console.error(`no ${GROUPS.join(" or ")} objects found in ${files.join(" ")}`);
  process.exit(1);
}
console.log(`${checked} Argo Workflows / External Secrets object(s) checked, ${failed} invalid`);
process.exit(failed ? 1 : 0);
