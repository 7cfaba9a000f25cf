// Validate the rendered k8s/workflows objects that kubernetes-validate has no schema for:
// Argo Workflows kinds (@kubernetes-models/argo-workflows) and External Secrets kinds
// (@kubernetes-models/external-secrets). Without this a typo'd field renders, passes every
// other check, and is refused (or dropped) by the controller in the cluster.
// Usage: node scripts/validate-workflows.mjs PATH...   (exit 1 on any invalid or unknown object)
import * as argo from "@kubernetes-models/argo-workflows/argoproj.io/v1alpha1";
import * as eso from "@kubernetes-models/external-secrets/external-secrets.io/v1";
import { validateAll } from "./validate-objects.mjs";

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

function check(obj) {
  const Model = MODELS[obj.apiVersion]?.[obj.kind];
  if (!Model) throw new Error(`no schema for ${obj.apiVersion} ${obj.kind}; add it to MODELS`);
  new Model(schemaShape(obj)).validate();
}

validateAll({
  usage: "node scripts/validate-workflows.mjs PATH...",
  wanted: (obj) => GROUPS.some((group) => String(obj.apiVersion ?? "").startsWith(group)),
  check,
  groups: GROUPS.join(" or "),
  what: "Argo Workflows / External Secrets",
});
