"""
moto_server with one AWS behaviour moto lacks: an organization trail shows in
its member accounts. Started by test/support/moto.ts (`startMoto({
organizationTrails: true })`) in place of the `moto_server` command, with the
same arguments.

What AWS does (CloudTrail user guide, "Creating a trail for an organization"):
a trail created with IsOrganizationTrail in the management account is listed
by DescribeTrails in every member account, as a shadow trail (in its home
Region, and in every Region when it is multi-Region), with the management
account's ARN and HomeRegion. A member may not read it further: GetTrailStatus
on it fails with "TrailNotFoundException: Unknown trail: <arn> for the user:
<member>" (turbot/steampipe-plugin-aws#577 quotes that AWS error), and
GetEventSelectors, which moto resolves among the caller's own trails only,
already fails the same way.

moto 5 keeps each account's trails to itself and records IsOrganizationTrail
without acting on it. This adds the management account's organization
trails to a member's DescribeTrails (includeShadowTrails, the default) and
refuses GetTrailStatus on another account's trail. Membership is moto's own
Organizations state (CreateAccount records each member's management account).
Everything else is moto unchanged.
"""
import sys

from moto.cloudtrail import models as cloudtrail
from moto.cloudtrail.exceptions import TrailNotFoundException
from moto.organizations.models import organizations_backends
from moto.server import main

moto_describe_trails = cloudtrail.CloudTrailBackend.describe_trails
moto_get_trail_status = cloudtrail.CloudTrailBackend.get_trail_status


def organization_trails(backend):
    """The organization trails of the management account of `backend`'s account, as seen in its Region."""
    management = organizations_backends.master_accounts.get(backend.account_id)
    if management is None:
        return []
    return [
        trail
        for regional in cloudtrail.cloudtrail_backends[management[0]].values()
        for trail in regional.trails.values()
        if trail.is_org_trail and (trail.is_multi_region or trail.region_name == backend.region_name)
    ]


def describe_trails(self, include_shadow_trails):
    trails = list(moto_describe_trails(self, include_shadow_trails))
    if include_shadow_trails:
        trails.extend(organization_trails(self))
    return trails


def get_trail_status(self, name):
    if name.startswith("arn:") and name.split(":")[4] != self.account_id:
        raise TrailNotFoundException(account_id=self.account_id, name=name)
    return moto_get_trail_status(self, name)


cloudtrail.CloudTrailBackend.describe_trails = describe_trails
cloudtrail.CloudTrailBackend.get_trail_status = get_trail_status

if __name__ == "__main__":
    sys.exit(main())
