// Transcribed from shared/spec/checkers.json (byte-exact). Do not edit by hand:
// test/scanners/transcription.test.ts compares every value with the spec.

/** One Prowler check: a Python `re.search(regex, filterPattern, re.DOTALL)` over each metric filter. */
export interface ProwlerRuleData {
  readonly checkId: string;
  readonly regex: string;
}

/** One Steampipe/Powerpipe query: PostgreSQL `filter_pattern ~ '<regex>'` (ordered terms). */
export interface SteampipeRuleData {
  readonly query: string;
  readonly regex: string;
}

/** One CloudSploit expected filter: compared after removing whitespace and lowercasing. */
export interface CloudSploitRuleData {
  readonly name: string;
  readonly expected: string;
}

export const PROWLER_SOURCE = "prowler-cloud/prowler@3e000faa3109230b748e4418a13c11c9e59f5cfb/prowler/providers/aws/services/cloudwatch/";
export const STEAMPIPE_SOURCE = "turbot/steampipe-mod-aws-compliance@a1d0b446ef9b96ea64980859fc063d70da20778e/conformance_pack/cloudwatch.pp";
export const CLOUDSPLOIT_SOURCE = "aquasecurity/cloudsploit@4b5bbd809f1ea2e91b87944920794d2bddf770ed/plugins/aws/cloudwatchlogs/monitoringMetrics.js";
export const SECURITY_HUB_SOURCE = "awsdocs/aws-security-hub-user-guide@47bfe2f1de2e486914543113d2e751f3e2ed8868/doc_source/cloudwatch-controls.md ; https://docs.aws.amazon.com/securityhub/latest/userguide/cloudwatch-controls.html";

/** Prowler checks by control key (order-independent lookaheads, except where the check file has a literal regex). */
export const PROWLER_RULES: Readonly<Record<string, ProwlerRuleData>> = {
  "unauthorized-api-calls": {
    checkId: "cloudwatch_log_metric_filter_unauthorized_api_calls",
    regex: "\\$\\.errorCode\\s*=\\s*.?\\*UnauthorizedOperation.+\\$\\.errorCode\\s*=\\s*.?AccessDenied\\*.?",
  },
  "console-signin-without-mfa": {
    checkId: "cloudwatch_log_metric_filter_sign_in_without_mfa",
    regex: "(?=.*\\$\\.eventName\\s*=\\s*.?ConsoleLogin\\b)(?=.*\\$\\.additionalEventData\\.MFAUsed\\s*!=\\s*.?Yes)",
  },
  "root-account-usage": {
    checkId: "cloudwatch_log_metric_filter_root_usage",
    regex: "\\$\\.userIdentity\\.type\\s*=\\s*.?Root.+\\$\\.userIdentity\\.invokedBy NOT EXISTS.+\\$\\.eventType\\s*!=\\s*.?AwsServiceEvent.?",
  },
  "iam-policy-changes": {
    checkId: "cloudwatch_log_metric_filter_policy_changes",
    regex: "(?=.*\\$\\.eventName\\s*=\\s*.?DeleteGroupPolicy\\b)(?=.*\\$\\.eventName\\s*=\\s*.?DeleteRolePolicy\\b)(?=.*\\$\\.eventName\\s*=\\s*.?DeleteUserPolicy\\b)(?=.*\\$\\.eventName\\s*=\\s*.?PutGroupPolicy\\b)(?=.*\\$\\.eventName\\s*=\\s*.?PutRolePolicy\\b)(?=.*\\$\\.eventName\\s*=\\s*.?PutUserPolicy\\b)(?=.*\\$\\.eventName\\s*=\\s*.?CreatePolicy\\b)(?=.*\\$\\.eventName\\s*=\\s*.?DeletePolicy\\b)(?=.*\\$\\.eventName\\s*=\\s*.?CreatePolicyVersion\\b)(?=.*\\$\\.eventName\\s*=\\s*.?DeletePolicyVersion\\b)(?=.*\\$\\.eventName\\s*=\\s*.?AttachRolePolicy\\b)(?=.*\\$\\.eventName\\s*=\\s*.?DetachRolePolicy\\b)(?=.*\\$\\.eventName\\s*=\\s*.?AttachUserPolicy\\b)(?=.*\\$\\.eventName\\s*=\\s*.?DetachUserPolicy\\b)(?=.*\\$\\.eventName\\s*=\\s*.?AttachGroupPolicy\\b)(?=.*\\$\\.eventName\\s*=\\s*.?DetachGroupPolicy\\b)",
  },
  "cloudtrail-config-changes": {
    checkId: "cloudwatch_log_metric_filter_and_alarm_for_cloudtrail_configuration_changes_enabled",
    regex: "(?=.*\\$\\.eventName\\s*=\\s*.?CreateTrail\\b)(?=.*\\$\\.eventName\\s*=\\s*.?UpdateTrail\\b)(?=.*\\$\\.eventName\\s*=\\s*.?DeleteTrail\\b)(?=.*\\$\\.eventName\\s*=\\s*.?StartLogging\\b)(?=.*\\$\\.eventName\\s*=\\s*.?StopLogging\\b)",
  },
  "console-auth-failures": {
    checkId: "cloudwatch_log_metric_filter_authentication_failures",
    regex: "(?=.*\\$\\.eventName\\s*=\\s*.?ConsoleLogin\\b)(?=.*\\$\\.errorMessage\\s*=\\s*.?Failed\\ authentication)",
  },
  "cmk-disable-or-deletion": {
    checkId: "cloudwatch_log_metric_filter_disable_or_scheduled_deletion_of_kms_cmk",
    regex: "(?=.*\\$\\.eventSource\\s*=\\s*.?kms\\.amazonaws\\.com)(?=.*\\$\\.eventName\\s*=\\s*.?DisableKey\\b)(?=.*\\$\\.eventName\\s*=\\s*.?ScheduleKeyDeletion\\b)",
  },
  "s3-bucket-policy-changes": {
    checkId: "cloudwatch_log_metric_filter_for_s3_bucket_policy_changes",
    regex: "(?=.*\\$\\.eventSource\\s*=\\s*.?s3\\.amazonaws\\.com)(?=.*\\$\\.eventName\\s*=\\s*.?PutBucketAcl\\b)(?=.*\\$\\.eventName\\s*=\\s*.?PutBucketPolicy\\b)(?=.*\\$\\.eventName\\s*=\\s*.?PutBucketCors\\b)(?=.*\\$\\.eventName\\s*=\\s*.?PutBucketLifecycle\\b)(?=.*\\$\\.eventName\\s*=\\s*.?PutBucketReplication\\b)(?=.*\\$\\.eventName\\s*=\\s*.?DeleteBucketPolicy\\b)(?=.*\\$\\.eventName\\s*=\\s*.?DeleteBucketCors\\b)(?=.*\\$\\.eventName\\s*=\\s*.?DeleteBucketLifecycle\\b)(?=.*\\$\\.eventName\\s*=\\s*.?DeleteBucketReplication\\b)",
  },
  "aws-config-changes": {
    checkId: "cloudwatch_log_metric_filter_and_alarm_for_aws_config_configuration_changes_enabled",
    regex: "(?=.*\\$\\.eventSource\\s*=\\s*.?config\\.amazonaws\\.com)(?=.*\\$\\.eventName\\s*=\\s*.?StopConfigurationRecorder\\b)(?=.*\\$\\.eventName\\s*=\\s*.?DeleteDeliveryChannel\\b)(?=.*\\$\\.eventName\\s*=\\s*.?PutDeliveryChannel\\b)(?=.*\\$\\.eventName\\s*=\\s*.?PutConfigurationRecorder\\b)",
  },
  "security-group-changes": {
    checkId: "cloudwatch_log_metric_filter_security_group_changes",
    regex: "(?=.*\\$\\.eventName\\s*=\\s*.?AuthorizeSecurityGroupIngress\\b)(?=.*\\$\\.eventName\\s*=\\s*.?AuthorizeSecurityGroupEgress\\b)(?=.*\\$\\.eventName\\s*=\\s*.?RevokeSecurityGroupIngress\\b)(?=.*\\$\\.eventName\\s*=\\s*.?RevokeSecurityGroupEgress\\b)(?=.*\\$\\.eventName\\s*=\\s*.?CreateSecurityGroup\\b)(?=.*\\$\\.eventName\\s*=\\s*.?DeleteSecurityGroup\\b)",
  },
  "nacl-changes": {
    checkId: "cloudwatch_changes_to_network_acls_alarm_configured",
    regex: "(?=.*\\$\\.eventName\\s*=\\s*.?CreateNetworkAcl\\b)(?=.*\\$\\.eventName\\s*=\\s*.?CreateNetworkAclEntry\\b)(?=.*\\$\\.eventName\\s*=\\s*.?DeleteNetworkAcl\\b)(?=.*\\$\\.eventName\\s*=\\s*.?DeleteNetworkAclEntry\\b)(?=.*\\$\\.eventName\\s*=\\s*.?ReplaceNetworkAclEntry\\b)(?=.*\\$\\.eventName\\s*=\\s*.?ReplaceNetworkAclAssociation\\b)",
  },
  "network-gateway-changes": {
    checkId: "cloudwatch_changes_to_network_gateways_alarm_configured",
    regex: "(?=.*\\$\\.eventName\\s*=\\s*.?CreateCustomerGateway\\b)(?=.*\\$\\.eventName\\s*=\\s*.?DeleteCustomerGateway\\b)(?=.*\\$\\.eventName\\s*=\\s*.?AttachInternetGateway\\b)(?=.*\\$\\.eventName\\s*=\\s*.?CreateInternetGateway\\b)(?=.*\\$\\.eventName\\s*=\\s*.?DeleteInternetGateway\\b)(?=.*\\$\\.eventName\\s*=\\s*.?DetachInternetGateway\\b)",
  },
  "route-table-changes": {
    checkId: "cloudwatch_changes_to_network_route_tables_alarm_configured",
    regex: "(?=.*\\$\\.eventSource\\s*=\\s*.?ec2\\.amazonaws\\.com)(?=.*\\$\\.eventName\\s*=\\s*.?CreateRoute\\b)(?=.*\\$\\.eventName\\s*=\\s*.?CreateRouteTable\\b)(?=.*\\$\\.eventName\\s*=\\s*.?ReplaceRoute\\b)(?=.*\\$\\.eventName\\s*=\\s*.?ReplaceRouteTableAssociation\\b)(?=.*\\$\\.eventName\\s*=\\s*.?DeleteRouteTable\\b)(?=.*\\$\\.eventName\\s*=\\s*.?DeleteRoute\\b)(?=.*\\$\\.eventName\\s*=\\s*.?DisassociateRouteTable\\b)",
  },
  "vpc-changes": {
    checkId: "cloudwatch_changes_to_vpcs_alarm_configured",
    regex: "(?=.*\\$\\.eventName\\s*=\\s*.?CreateVpc\\b)(?=.*\\$\\.eventName\\s*=\\s*.?DeleteVpc\\b)(?=.*\\$\\.eventName\\s*=\\s*.?ModifyVpcAttribute\\b)(?=.*\\$\\.eventName\\s*=\\s*.?AcceptVpcPeeringConnection\\b)(?=.*\\$\\.eventName\\s*=\\s*.?CreateVpcPeeringConnection\\b)(?=.*\\$\\.eventName\\s*=\\s*.?DeleteVpcPeeringConnection\\b)(?=.*\\$\\.eventName\\s*=\\s*.?RejectVpcPeeringConnection\\b)(?=.*\\$\\.eventName\\s*=\\s*.?AttachClassicLinkVpc\\b)(?=.*\\$\\.eventName\\s*=\\s*.?DetachClassicLinkVpc\\b)(?=.*\\$\\.eventName\\s*=\\s*.?DisableVpcClassicLink\\b)(?=.*\\$\\.eventName\\s*=\\s*.?EnableVpcClassicLink\\b)",
  },
  "organizations-changes": {
    checkId: "cloudwatch_log_metric_filter_aws_organizations_changes",
    regex: "(?=.*\\$\\.eventSource\\s*=\\s*.?organizations\\.amazonaws\\.com)(?=.*\\$\\.eventName\\s*=\\s*.?AcceptHandshake\\b)(?=.*\\$\\.eventName\\s*=\\s*.?AttachPolicy\\b)(?=.*\\$\\.eventName\\s*=\\s*.?CancelHandshake\\b)(?=.*\\$\\.eventName\\s*=\\s*.?CreateAccount\\b)(?=.*\\$\\.eventName\\s*=\\s*.?CreateOrganization\\b)(?=.*\\$\\.eventName\\s*=\\s*.?CreateOrganizationalUnit\\b)(?=.*\\$\\.eventName\\s*=\\s*.?CreatePolicy\\b)(?=.*\\$\\.eventName\\s*=\\s*.?DeclineHandshake\\b)(?=.*\\$\\.eventName\\s*=\\s*.?DeleteOrganization\\b)(?=.*\\$\\.eventName\\s*=\\s*.?DeleteOrganizationalUnit\\b)(?=.*\\$\\.eventName\\s*=\\s*.?DeletePolicy\\b)(?=.*\\$\\.eventName\\s*=\\s*.?EnableAllFeatures\\b)(?=.*\\$\\.eventName\\s*=\\s*.?EnablePolicyType\\b)(?=.*\\$\\.eventName\\s*=\\s*.?InviteAccountToOrganization\\b)(?=.*\\$\\.eventName\\s*=\\s*.?LeaveOrganization\\b)(?=.*\\$\\.eventName\\s*=\\s*.?DetachPolicy\\b)(?=.*\\$\\.eventName\\s*=\\s*.?DisablePolicyType\\b)(?=.*\\$\\.eventName\\s*=\\s*.?MoveAccount\\b)(?=.*\\$\\.eventName\\s*=\\s*.?RemoveAccountFromOrganization\\b)(?=.*\\$\\.eventName\\s*=\\s*.?UpdateOrganizationalUnit\\b)(?=.*\\$\\.eventName\\s*=\\s*.?UpdatePolicy\\b)",
  },
};

/** Steampipe/Powerpipe queries by control key. */
export const STEAMPIPE_RULES: Readonly<Record<string, SteampipeRuleData>> = {
  "unauthorized-api-calls": {
    query: "query.log_metric_filter_unauthorized_api",
    regex: "\\$\\.errorCode\\s*=\\s*\"\\*UnauthorizedOperation\".+\\$\\.errorCode\\s*=\\s*\"AccessDenied\\*\".+\\$\\.sourceIPAddress\\s*!=\\s*\"delivery.logs.amazonaws.com\".+\\$\\.eventName\\s*!=\\s*\"HeadBucket\"",
  },
  "console-signin-without-mfa": {
    query: "query.log_metric_filter_console_login_mfa",
    regex: "\\(\\s*\\$\\.eventName\\s*=\\s*\"ConsoleLogin\"\\)\\s+&&\\s+\\(\\s*\\$.additionalEventData\\.MFAUsed\\s*!=\\s*\"Yes\"",
  },
  "root-account-usage": {
    query: "query.log_metric_filter_root_login",
    regex: "\\s*\\$\\.userIdentity\\.type\\s*=\\s*\"Root\".+\\$\\.userIdentity\\.invokedBy NOT EXISTS.+\\$\\.eventType\\s*!=\\s*\"AwsServiceEvent\"",
  },
  "iam-policy-changes": {
    query: "query.log_metric_filter_iam_policy",
    regex: "\\s*\\$\\.eventName\\s*=\\s*DeleteGroupPolicy.+\\$\\.eventName\\s*=\\s*DeleteRolePolicy.+\\$\\.eventName\\s*=\\s*DeleteUserPolicy.+\\$\\.eventName\\s*=\\s*PutGroupPolicy.+\\$\\.eventName\\s*=\\s*PutRolePolicy.+\\$\\.eventName\\s*=\\s*PutUserPolicy.+\\$\\.eventName\\s*=\\s*CreatePolicy.+\\$\\.eventName\\s*=\\s*DeletePolicy.+\\$\\.eventName\\s*=\\s*CreatePolicyVersion.+\\$\\.eventName\\s*=\\s*DeletePolicyVersion.+\\$\\.eventName\\s*=\\s*AttachRolePolicy.+\\$\\.eventName\\s*=\\s*DetachRolePolicy.+\\$\\.eventName\\s*=\\s*AttachUserPolicy.+\\$\\.eventName\\s*=\\s*DetachUserPolicy.+\\$\\.eventName\\s*=\\s*AttachGroupPolicy.+\\$\\.eventName\\s*=\\s*DetachGroupPolicy",
  },
  "cloudtrail-config-changes": {
    query: "query.log_metric_filter_cloudtrail_configuration",
    regex: "\\s*\\$\\.eventName\\s*=\\s*CreateTrail.+\\$\\.eventName\\s*=\\s*UpdateTrail.+\\$\\.eventName\\s*=\\s*DeleteTrail.+\\$\\.eventName\\s*=\\s*StartLogging.+\\$\\.eventName\\s*=\\s*StopLogging",
  },
  "console-auth-failures": {
    query: "query.log_metric_filter_console_authentication_failure",
    regex: "\\s*\\$\\.eventName\\s*=\\s*ConsoleLogin.+\\$\\.errorMessage\\s*=\\s*\"Failed authentication\"",
  },
  "cmk-disable-or-deletion": {
    query: "query.log_metric_filter_disable_or_delete_cmk",
    regex: "\\s*\\$\\.eventSource\\s*=\\s*kms.amazonaws.com.+\\$\\.eventName\\s*=\\s*DisableKey.+\\$\\.eventName\\s*=\\s*ScheduleKeyDeletion",
  },
  "s3-bucket-policy-changes": {
    query: "query.log_metric_filter_bucket_policy",
    regex: "\\s*\\$\\.eventSource\\s*=\\s*s3.amazonaws.com.+\\$\\.eventName\\s*=\\s*PutBucketAcl.+\\$\\.eventName\\s*=\\s*PutBucketPolicy.+\\$\\.eventName\\s*=\\s*PutBucketCors.+\\$\\.eventName\\s*=\\s*PutBucketLifecycle.+\\$\\.eventName\\s*=\\s*PutBucketReplication.+\\$\\.eventName\\s*=\\s*DeleteBucketPolicy.+\\$\\.eventName\\s*=\\s*DeleteBucketCors.+\\$\\.eventName\\s*=\\s*DeleteBucketLifecycle.+\\$\\.eventName\\s*=\\s*DeleteBucketReplication",
  },
  "aws-config-changes": {
    query: "query.log_metric_filter_config_configuration",
    regex: "\\s*\\$\\.eventSource\\s*=\\s*config.amazonaws.com.+\\$\\.eventName\\s*=\\s*StopConfigurationRecorder.+\\$\\.eventName\\s*=\\s*DeleteDeliveryChannel.+\\$\\.eventName\\s*=\\s*PutDeliveryChannel.+\\$\\.eventName\\s*=\\s*PutConfigurationRecorder",
  },
  "security-group-changes": {
    query: "query.log_metric_filter_security_group",
    regex: "\\s*\\$\\.eventName\\s*=\\s*AuthorizeSecurityGroupIngress.+\\$\\.eventName\\s*=\\s*AuthorizeSecurityGroupEgress.+\\$\\.eventName\\s*=\\s*RevokeSecurityGroupIngress.+\\$\\.eventName\\s*=\\s*RevokeSecurityGroupEgress.+\\$\\.eventName\\s*=\\s*CreateSecurityGroup.+\\$\\.eventName\\s*=\\s*DeleteSecurityGroup.+\\$\\.eventName\\s*=\\s*ModifySecurityGroupRules",
  },
  "nacl-changes": {
    query: "query.log_metric_filter_network_acl",
    regex: "\\s*\\$\\.eventName\\s*=\\s*CreateNetworkAcl.+\\$\\.eventName\\s*=\\s*CreateNetworkAclEntry.+\\$\\.eventName\\s*=\\s*DeleteNetworkAcl.+\\$\\.eventName\\s*=\\s*DeleteNetworkAclEntry.+\\$\\.eventName\\s*=\\s*ReplaceNetworkAclEntry.+\\$\\.eventName\\s*=\\s*ReplaceNetworkAclAssociation",
  },
  "network-gateway-changes": {
    query: "query.log_metric_filter_network_gateway",
    regex: "\\s*\\$\\.eventName\\s*=\\s*CreateCustomerGateway.+\\$\\.eventName\\s*=\\s*DeleteCustomerGateway.+\\$\\.eventName\\s*=\\s*AttachInternetGateway.+\\$\\.eventName\\s*=\\s*CreateInternetGateway.+\\$\\.eventName\\s*=\\s*DeleteInternetGateway.+\\$\\.eventName\\s*=\\s*DetachInternetGateway",
  },
  "route-table-changes": {
    query: "query.log_metric_filter_route_table",
    regex: "\\s*\\$\\.eventName\\s*=\\s*CreateRoute.+\\$\\.eventName\\s*=\\s*CreateRouteTable.+\\$\\.eventName\\s*=\\s*ReplaceRoute.+\\$\\.eventName\\s*=\\s*ReplaceRouteTableAssociation.+\\$\\.eventName\\s*=\\s*DeleteRouteTable.+\\$\\.eventName\\s*=\\s*DeleteRoute.+\\$\\.eventName\\s*=\\s*DisassociateRouteTable",
  },
  "vpc-changes": {
    query: "query.log_metric_filter_vpc",
    regex: "\\s*\\$\\.eventName\\s*=\\s*CreateVpc.+\\$\\.eventName\\s*=\\s*DeleteVpc.+\\$\\.eventName\\s*=\\s*ModifyVpcAttribute.+\\$\\.eventName\\s*=\\s*AcceptVpcPeeringConnection.+\\$\\.eventName\\s*=\\s*CreateVpcPeeringConnection.+\\$\\.eventName\\s*=\\s*DeleteVpcPeeringConnection.+\\$\\.eventName\\s*=\\s*RejectVpcPeeringConnection.+\\$\\.eventName\\s*=\\s*AttachClassicLinkVpc.+\\$\\.eventName\\s*=\\s*DetachClassicLinkVpc.+\\$\\.eventName\\s*=\\s*DisableVpcClassicLink.+\\$\\.eventName\\s*=\\s*EnableVpcClassicLink",
  },
  "organizations-changes": {
    query: "query.log_metric_filter_organization",
    regex: "\\s*\\$\\.eventSource\\s*=\\s*organizations.amazonaws.com.+\\$\\.eventName\\s*=\\s*\"?AcceptHandshake\"?.+\\$\\.eventName\\s*=\\s*\"?AttachPolicy\"?.+\\$\\.eventName\\s*=\\s*\"?CreateAccount\"?.+\\$\\.eventName\\s*=\\s*\"?CreateOrganizationalUnit\"?.+\\$\\.eventName\\s*=\\s*\"?CreatePolicy\"?.+\\$\\.eventName\\s*=\\s*\"?DeclineHandshake\"?.+\\$\\.eventName\\s*=\\s*\"?DeleteOrganization\"?.+\\$\\.eventName\\s*=\\s*\"?DeleteOrganizationalUnit\"?.+\\$\\.eventName\\s*=\\s*\"?DeletePolicy\"?.+\\$\\.eventName\\s*=\\s*\"?DetachPolicy\"?.+\\$\\.eventName\\s*=\\s*\"?DisablePolicyType\"?.+\\$\\.eventName\\s*=\\s*\"?EnablePolicyType\"?.+\\$\\.eventName\\s*=\\s*\"?InviteAccountToOrganization\"?.+\\$\\.eventName\\s*=\\s*\"?LeaveOrganization\"?.+\\$\\.eventName\\s*=\\s*\"?MoveAccount\"?.+\\$\\.eventName\\s*=\\s*\"?RemoveAccountFromOrganization\"?.+\\$\\.eventName\\s*=\\s*\"?UpdatePolicy\"?.+\\$\\.eventName\\s*=\\s*\"?UpdateOrganizationalUnit\"?",
  },
};

/** CloudSploit master (master-2025-12-04) expected texts by control key. */
export const CLOUDSPLOIT_MASTER_RULES: Readonly<Record<string, CloudSploitRuleData>> = {
  "unauthorized-api-calls": {
    name: "Unauthorized API Calls",
    expected: "{ ($.errorCode = *UnauthorizedOperation) || ($.errorCode = AccessDenied*) }",
  },
  "console-signin-without-mfa": {
    name: "Sign In Without MFA",
    expected: "{ ($.eventName = ConsoleLogin) && ($.additionalEventData.MFAUsed != Yes) }",
  },
  "root-account-usage": {
    name: "Root Account Usage",
    expected: "{ $.userIdentity.type = Root && $.userIdentity.invokedBy NOT EXISTS && $.eventType != AwsServiceEvent }",
  },
  "iam-policy-changes": {
    name: "IAM Policy Changes",
    expected: "{($.eventName=DeleteGroupPolicy)||($.eventName=DeleteRolePolicy)||($.eventName=DeleteUserPolicy)||($.eventName=PutGroupPolicy)||($.eventName=PutRolePolicy)||($.eventName=PutUserPolicy)||($.eventName=CreatePolicy)||($.eventName=DeletePolicy)||($.eventName=CreatePolicyVersion)||($.eventName=DeletePolicyVersion)||($.eventName=AttachRolePolicy)||($.eventName=DetachRolePolicy)||($.eventName=AttachUserPolicy)||($.eventName=DetachUserPolicy)||($.eventName=AttachGroupPolicy)||($.eventName=DetachGroupPolicy)}",
  },
  "cloudtrail-config-changes": {
    name: "CloudTrail Configuration Changes",
    expected: "{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || ($.eventName = DeleteTrail) || ($.eventName = StartLogging) || ($.eventName = StopLogging) }",
  },
  "console-auth-failures": {
    name: "Sign In Failures",
    expected: "{ ($.eventName = ConsoleLogin) && ($.errorMessage = \"Failed authentication\") }",
  },
  "cmk-disable-or-deletion": {
    name: "Disabled CMKs",
    expected: "{($.eventSource = kms.amazonaws.com) && (($.eventName=DisableKey)||($.eventName=ScheduleKeyDeletion)) }",
  },
  "s3-bucket-policy-changes": {
    name: "S3 Policy Changes",
    expected: "{ ($.eventSource = s3.amazonaws.com) && (($.eventName = PutBucketAcl) || ($.eventName = PutBucketPolicy) || ($.eventName = PutBucketCors) || ($.eventName = PutBucketLifecycle) || ($.eventName = PutBucketReplication) || ($.eventName = DeleteBucketPolicy) || ($.eventName = DeleteBucketCors) || ($.eventName = DeleteBucketLifecycle) || ($.eventName = DeleteBucketReplication)) }",
  },
  "aws-config-changes": {
    name: "ConfigService Changes",
    expected: "{($.eventSource = config.amazonaws.com) && (($.eventName=StopConfigurationRecorder)||($.eventName=DeleteDeliveryChannel)||($.eventName=PutDeliveryChannel)||($.eventName=PutConfigurationRecorder))}",
  },
  "security-group-changes": {
    name: "Security Group Changes",
    expected: "{ ($.eventName = AuthorizeSecurityGroupIngress) || ($.eventName = AuthorizeSecurityGroupEgress) || ($.eventName = RevokeSecurityGroupIngress) || ($.eventName = RevokeSecurityGroupEgress) || ($.eventName = CreateSecurityGroup) || ($.eventName = DeleteSecurityGroup)}",
  },
  "nacl-changes": {
    name: "Network ACL Changes",
    expected: "{ ($.eventName = CreateNetworkAcl) || ($.eventName = CreateNetworkAclEntry) || ($.eventName = DeleteNetworkAcl) || ($.eventName = DeleteNetworkAclEntry) || ($.eventName = ReplaceNetworkAclEntry) || ($.eventName = ReplaceNetworkAclAssociation) }",
  },
  "network-gateway-changes": {
    name: "Network Gateway Changes",
    expected: "{ ($.eventName = CreateCustomerGateway) || ($.eventName = DeleteCustomerGateway) || ($.eventName = AttachInternetGateway) || ($.eventName = CreateInternetGateway) || ($.eventName = DeleteInternetGateway) || ($.eventName = DetachInternetGateway) }",
  },
  "route-table-changes": {
    name: "Route Table Changes",
    expected: "{ ($.eventName = CreateRoute) || ($.eventName = CreateRouteTable) || ($.eventName = ReplaceRoute) || ($.eventName = ReplaceRouteTableAssociation) || ($.eventName = DeleteRouteTable) || ($.eventName = DeleteRoute) || ($.eventName = DisassociateRouteTable) }",
  },
  "vpc-changes": {
    name: "VPC Changes",
    expected: "{ ($.eventName = CreateVpc) || ($.eventName = DeleteVpc) || ($.eventName = ModifyVpcAttribute) || ($.eventName = AcceptVpcPeeringConnection) || ($.eventName = CreateVpcPeeringConnection) || ($.eventName = DeleteVpcPeeringConnection) || ($.eventName = RejectVpcPeeringConnection) || ($.eventName = AttachClassicLinkVpc) || ($.eventName = DetachClassicLinkVpc) || ($.eventName = DisableVpcClassicLink) || ($.eventName = EnableVpcClassicLink) }",
  },
  "organizations-changes": {
    name: "Organizations Changes",
    expected: "{ ($.eventSource = organizations.amazonaws.com) && (($.eventName = AcceptHandshake) || ($.eventName = AttachPolicy) || ($.eventName = CreateAccount) || ($.eventName = CreateOrganizationalUnit) || ($.eventName = CreatePolicy) || ($.eventName = DeclineHandshake) || ($.eventName = DeleteOrganization) || ($.eventName = DeleteOrganizationalUnit) || ($.eventName = DeletePolicy) || ($.eventName = DetachPolicy) || ($.eventName = DisablePolicyType) || ($.eventName = EnablePolicyType) || ($.eventName = InviteAccountToOrganization) || ($.eventName = LeaveOrganization) || ($.eventName = MoveAccount) || ($.eventName = RemoveAccountFromOrganization) || ($.eventName = UpdatePolicy) || ($.eventName = UpdateOrganizationalUnit)) }",
  },
};
