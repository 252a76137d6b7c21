/**
 * Checks for StackSet member templates: what keeps a template from deploying
 * in any member account and Region without bootstrapping.
 */

/** What a StackSet member template must not hold (shared with the example test). */
export function memberTemplateViolations(body: string, allowedAccounts: string[] = []): string[] {
  const out: string[] = [];
  const t = JSON.parse(body);
  if (/AssetParameters/.test(body)) out.push('AssetParameters');
  if (/"aws:asset:/.test(body)) out.push('aws:asset metadata');
  if (/BootstrapVersion/.test(body) || t.Rules?.CheckBootstrapVersion) out.push('bootstrap version rule');
  if (/Fn::ImportValue/.test(body)) out.push('Fn::ImportValue');
  if (/AWS::CDK::Metadata/.test(body)) out.push('CDK metadata');
  const accounts = (body.match(/(?<!\d)\d{12}(?!\d)/g) ?? []).filter(a => !allowedAccounts.includes(a));
  if (accounts.length > 0) out.push(`account ids ${[...new Set(accounts)].join(', ')}`);
  const regions = body.match(/\b(us|eu|ap|sa|ca|me|af|il|mx|cn)(-gov|-iso[a-z]?)?-(north|south|east|west|central|northeast|southeast|northwest|southwest)-\d\b/g);
  if (regions) out.push(`region names ${[...new Set(regions)].join(', ')}`);
  if (/Lookup|SSM::Parameter::Value/.test(body)) out.push('lookups');
  return out;
}
