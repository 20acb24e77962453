"""The availability zones a network may use: each region's zone IDs, less the constrained ones.

Zones are chosen by ID, never by name (``docs/architecture.md``); the environment matrix takes
the first ``az_count`` of its region's allowed IDs, and an override naming a constrained zone
fails synth with the reason.
"""

from __future__ import annotations

import re

# Each region's availability zone IDs, for the regions this project has been checked against.
# Zones are chosen by ID, never by name: a name (us-east-1a) maps to a different physical zone in
# each account, an ID (use1-az1) is the same zone in every account, so dev, staging and prod, in
# accounts of their own, span the same zones. IDs are not always az1, az2, az3 (us-west-1 has
# az1 and az3), so they are never derived; a region missing here needs ECOMMERCE_ZONES.
REGION_ZONE_IDS = {
    "us-east-1": ("use1-az1", "use1-az2", "use1-az3", "use1-az4", "use1-az5", "use1-az6"),
    "us-east-2": ("use2-az1", "use2-az2", "use2-az3"),
    "us-west-1": ("usw1-az1", "usw1-az3"),
    "us-west-2": ("usw2-az1", "usw2-az2", "usw2-az3", "usw2-az4"),
    "ca-central-1": ("cac1-az1", "cac1-az2", "cac1-az4"),
    "eu-west-1": ("euw1-az1", "euw1-az2", "euw1-az3"),
    "eu-west-2": ("euw2-az1", "euw2-az2", "euw2-az3"),
    "eu-west-3": ("euw3-az1", "euw3-az2", "euw3-az3"),
    "eu-central-1": ("euc1-az1", "euc1-az2", "euc1-az3"),
    "eu-north-1": ("eun1-az1", "eun1-az2", "eun1-az3"),
    "ap-northeast-1": ("apne1-az1", "apne1-az2", "apne1-az4"),
    "ap-northeast-2": ("apne2-az1", "apne2-az2", "apne2-az3", "apne2-az4"),
    "ap-southeast-1": ("apse1-az1", "apse1-az2", "apse1-az3"),
    "ap-southeast-2": ("apse2-az1", "apse2-az2", "apse2-az3"),
    "ap-south-1": ("aps1-az1", "aps1-az2", "aps1-az3"),
    "sa-east-1": ("sae1-az1", "sae1-az2", "sae1-az3"),
}  # fmt: skip
# Zones of those rows that no default uses and no override may name, each with the reason. A
# constrained zone is one where AWS offers no new instance types and not every service: an
# interface endpoint whose service lacks the zone fails to create, and so would the network.
# (The other constrained zones AWS names, usw1-az2, cac1-az3 and apne1-az3, are not offered to
# new accounts at all, so the rows above leave them out.)
CONSTRAINED_ZONE_IDS = {
    "use1-az3": "a constrained zone of us-east-1: AWS offers no new instance types there and "
    "not every service (an interface endpoint of a service missing there fails to create)",
}
_ZONE_ID = re.compile(r"^[a-z]+\d+-az\d+$")


def allowed_zone_ids(region: str) -> tuple[str, ...] | None:
    """The zone IDs of ``region`` a network may use, in order: its row of ``REGION_ZONE_IDS``
    without the constrained zones; None for a region the table does not know."""
    row = REGION_ZONE_IDS.get(region)
    return None if row is None else tuple(z for z in row if z not in CONSTRAINED_ZONE_IDS)
