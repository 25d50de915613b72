# Which GitHub tokens the provider accepts, as a CEL condition on their claims.
# Only locals of the inputs here: a test evaluates this file with the real
# terraform and the condition with a CEL interpreter.

locals {
  ref_conditions = concat(
    [for ref in var.allowed_refs : "assertion.ref == '${ref}'"],
    [for prefix in var.allowed_ref_prefixes : "assertion.ref.startsWith('${prefix}')"],
  )
  # Only this repository (by name, and by ID when given: a deleted and re-created
  # repository of the same name gets a new ID), and only the allowed refs.
  attribute_condition = join(" && ", concat(
    ["assertion.repository == '${var.github_repository}'"],
    var.github_repository_id == null ? [] : ["assertion.repository_id == '${var.github_repository_id}'"],
    length(local.ref_conditions) == 0 ? [] : ["(${join(" || ", local.ref_conditions)})"],
  ))
}
