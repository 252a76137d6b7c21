# The 15 CIS v7.0.0 metric-filter patterns (the counting filters of `replay --benchmark 7.0.0`)
# as jq, for the jq baseline of scripts/bench-replay.ts:
#   jq -n -c -f scripts/bench/cis-7.0.0.jq events.ndjson
# prints the number of matching records per control, in catalog order.
# Comparisons on a missing field are false (also !=), as in CloudWatch Logs.
def str(f): (f | type) == "string";
def eq(f; v): str(f) and f == v;
def ne(f; v): str(f) and f != v;
def name(vs): str(.eventName) and (.eventName | IN(vs[]));
def controls: [
  ((str(.errorCode) and (.errorCode | endswith("UnauthorizedOperation")))
    or ((str(.errorCode) and (.errorCode | startswith("AccessDenied")))
        and ne(.sourceIPAddress; "delivery.logs.amazonaws.com") and ne(.eventName; "HeadBucket"))),
  (eq(.eventName; "ConsoleLogin") and ne(.additionalEventData.MFAUsed; "Yes")),
  (eq(.userIdentity.type; "Root") and (.userIdentity | has("invokedBy") | not) and ne(.eventType; "AwsServiceEvent")),
  name(["DeleteGroupPolicy","DeleteRolePolicy","DeleteUserPolicy","PutGroupPolicy","PutRolePolicy","PutUserPolicy","CreatePolicy","DeletePolicy","CreatePolicyVersion","DeletePolicyVersion","AttachRolePolicy","DetachRolePolicy","AttachUserPolicy","DetachUserPolicy","AttachGroupPolicy","DetachGroupPolicy"]),
  name(["CreateTrail","UpdateTrail","DeleteTrail","StartLogging","StopLogging"]),
  (eq(.eventName; "ConsoleLogin") and eq(.errorMessage; "Failed authentication")),
  (eq(.eventSource; "kms.amazonaws.com") and name(["DisableKey","ScheduleKeyDeletion"])),
  (eq(.eventSource; "s3.amazonaws.com") and name(["PutBucketAcl","PutBucketPolicy","PutBucketCors","PutBucketLifecycle","PutBucketReplication","DeleteBucketPolicy","DeleteBucketCors","DeleteBucketLifecycle","DeleteBucketReplication"])),
  (eq(.eventSource; "config.amazonaws.com") and name(["StopConfigurationRecorder","DeleteDeliveryChannel","PutDeliveryChannel","PutConfigurationRecorder"])),
  name(["AuthorizeSecurityGroupIngress","AuthorizeSecurityGroupEgress","RevokeSecurityGroupIngress","RevokeSecurityGroupEgress","CreateSecurityGroup","DeleteSecurityGroup","ModifySecurityGroupRules"]),
  name(["CreateNetworkAcl","CreateNetworkAclEntry","DeleteNetworkAcl","DeleteNetworkAclEntry","ReplaceNetworkAclEntry","ReplaceNetworkAclAssociation"]),
  name(["CreateCustomerGateway","DeleteCustomerGateway","AttachInternetGateway","CreateInternetGateway","DeleteInternetGateway","DetachInternetGateway"]),
  name(["CreateRoute","CreateRouteTable","ReplaceRoute","ReplaceRouteTableAssociation","DeleteRouteTable","DeleteRoute","DisassociateRouteTable"]),
  name(["CreateVpc","DeleteVpc","ModifyVpcAttribute","AcceptVpcPeeringConnection","CreateVpcPeeringConnection","DeleteVpcPeeringConnection","RejectVpcPeeringConnection","AttachClassicLinkVpc","DetachClassicLinkVpc","DisableVpcClassicLink","EnableVpcClassicLink"]),
  (eq(.eventSource; "organizations.amazonaws.com") and name(["AcceptHandshake","AttachPolicy","CreateAccount","CreateOrganizationalUnit","CreatePolicy","DeclineHandshake","DeleteOrganization","DeleteOrganizationalUnit","DeletePolicy","DetachPolicy","DisablePolicyType","EnablePolicyType","InviteAccountToOrganization","LeaveOrganization","MoveAccount","RemoveAccountFromOrganization","UpdatePolicy","UpdateOrganizationalUnit"]))
];
reduce (inputs | controls | map(if . then 1 else 0 end)) as $m ([range(15) | 0]; [range(15) as $i | .[$i] + $m[$i]])
