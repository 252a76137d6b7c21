"""Validates audit findings with the formats' own reference libraries.

  validate-findings.py asff FILE   each finding against the AWS SDK's (botocore's)
                                   request validation of SecurityHub BatchImportFindings
  validate-findings.py ocsf FILE   each event with py-ocsf-models' ComplianceFinding
                                   (the models Prowler uses) and its `cloud` profile
                                   object with their Cloud model; a field the models
                                   do not know is an error, not silently dropped

Prints one JSON object: {"checked": N, "errors": [...]}; exits 0 either way
(the test reads the errors).
"""
import json
import sys


def key_paths(value, prefix=""):
    """Every key path of nested dicts and lists (list items as [])."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield f"{prefix}.{k}"
            yield from key_paths(v, f"{prefix}.{k}")
    elif isinstance(value, list):
        for v in value:
            yield from key_paths(v, f"{prefix}[]")


def validate_asff(findings):
    import botocore.session
    from botocore.validate import ParamValidator

    model = botocore.session.get_session().get_service_model("securityhub")
    shape = model.operation_model("BatchImportFindings").input_shape
    errors = []
    for f in findings:
        report = ParamValidator().validate({"Findings": [f]}, shape)
        if report.has_errors():
            errors.append(f"{f.get('Id')}: {report.generate_report()}")
    return errors


def validate_ocsf(events):
    from py_ocsf_models.events.findings.compliance_finding import ComplianceFinding
    from py_ocsf_models.objects.cloud import Cloud

    errors = []
    for e in events:
        uid = (e.get("finding_info") or {}).get("uid")
        event = dict(e)
        # The cloud profile's object: OCSF adds it to any class whose metadata.profiles names
        # "cloud"; py-ocsf-models models it apart from ComplianceFinding, so it is validated apart.
        cloud = event.pop("cloud", None)
        try:
            model = ComplianceFinding.model_validate(event)
            cloud_model = Cloud.model_validate(cloud) if cloud is not None else None
        except Exception as error:  # pydantic.ValidationError
            errors.append(f"{uid}: {error}")
            continue
        if cloud is not None and "cloud" not in ((event.get("metadata") or {}).get("profiles") or []):
            errors.append(f"{uid}: has a cloud object but metadata.profiles does not name the cloud profile")
        dumped = json.loads(model.model_dump_json(exclude_none=True))
        if cloud_model is not None:
            dumped["cloud"] = json.loads(cloud_model.model_dump_json(exclude_none=True))
        # unmapped is free-form by definition; everything else must be a field of the models.
        unknown = sorted(p for p in set(key_paths(e)) - set(key_paths(dumped)) if not p.startswith(".unmapped."))
        if unknown:
            errors.append(f"{uid}: fields py-ocsf-models does not know: {', '.join(unknown)}")
    return errors


def main():
    kind, path = sys.argv[1], sys.argv[2]
    with open(path, encoding="utf-8") as f:
        items = json.load(f)
    errors = validate_asff(items) if kind == "asff" else validate_ocsf(items)
    print(json.dumps({"checked": len(items), "errors": errors}))


if __name__ == "__main__":
    main()
