"""The AWS managed rule groups in front of the API, and what each of their rules does. Pure data.

Every rule of every group is listed with the action the stack gives it, so that each block
answers in the contract's error shape (a rule left to its group's own action would answer WAF's
default 403 page). The names are those of AWS's documentation of each group.

Why a rule counts (it labels the request and keeps its metric, but lets it through) rather than
blocks: the API validates the JSON body and the query parameters itself and keeps their text as
data, never as SQL, HTML, a path or a URL (docs/security.md, "Bad input"), so the rules that look
for code in the body or the query arguments count; bodies up to 64 KiB are the contract's, so
the 8 KB body limit counts (the stack's own ``body-over-64-kib`` rule answers above the
contract's limit); and cloud hosting ranges are where CI's runners and customers' proxies live.
"""

BLOCK = "block"
COUNT = "count"

_TEXT_INSPECTION = ("CrossSiteScripting", "EC2MetaDataSSRF", "GenericLFI", "GenericRFI")
_CRS_TEXT = tuple(
    f"{kind}_{part}" for kind in _TEXT_INSPECTION for part in ("BODY", "QUERYARGUMENTS")
)

MANAGED_RULE_GROUPS: dict[str, dict[str, str]] = {
    # OWASP-style common attacks.
    "AWSManagedRulesCommonRuleSet": {
        "NoUserAgent_HEADER": BLOCK,
        "UserAgent_BadBots_HEADER": BLOCK,
        "SizeRestrictions_QUERYSTRING": BLOCK,
        "SizeRestrictions_Cookie_HEADER": BLOCK,
        "SizeRestrictions_BODY": COUNT,
        "SizeRestrictions_URIPATH": BLOCK,
        "EC2MetaDataSSRF_COOKIE": BLOCK,
        "EC2MetaDataSSRF_URIPATH": BLOCK,
        "GenericLFI_URIPATH": BLOCK,
        "GenericRFI_URIPATH": BLOCK,
        "RestrictedExtensions_URIPATH": BLOCK,
        "RestrictedExtensions_QUERYARGUMENTS": COUNT,
        "CrossSiteScripting_COOKIE": BLOCK,
        "CrossSiteScripting_URIPATH": BLOCK,
        **dict.fromkeys(_CRS_TEXT, COUNT),
    },
    # Exploits of known vulnerabilities (Log4Shell, Java deserialization): never a shop's text.
    "AWSManagedRulesKnownBadInputsRuleSet": dict.fromkeys(
        (
            "JavaDeserializationRCE_HEADER",
            "JavaDeserializationRCE_BODY",
            "JavaDeserializationRCE_URIPATH",
            "JavaDeserializationRCE_QUERYSTRING",
            "Host_localhost_HEADER",
            "PROPFIND_METHOD",
            "ExploitablePaths_URIPATH",
            "Log4JRCE_HEADER",
            "Log4JRCE_QUERYSTRING",
            "Log4JRCE_BODY",
            "Log4JRCE_URIPATH",
        ),
        BLOCK,
    ),
    # SQL injection: the store keeps no SQL, so body and query text are data; cookies (the API
    # reads none) and paths (ids) keep blocking.
    "AWSManagedRulesSQLiRuleSet": {
        "SQLi_QUERYARGUMENTS": COUNT,
        "SQLiExtendedPatterns_QUERYARGUMENTS": COUNT,
        "SQLi_BODY": COUNT,
        "SQLiExtendedPatterns_BODY": COUNT,
        "SQLi_COOKIE": BLOCK,
        "SQLi_URIPATH": BLOCK,
    },
    # Addresses with a bad reputation; the DDoS list counts, as AWS itself sets it.
    "AWSManagedRulesAmazonIpReputationList": {
        "AWSManagedIPReputationList": BLOCK,
        "AWSManagedReconnaissanceList": BLOCK,
        "AWSManagedIPDDoSList": COUNT,
    },
    # Anonymizing proxies (VPNs, Tor) block; cloud hosting ranges count (CI, customers' proxies).
    "AWSManagedRulesAnonymousIpList": {
        "AnonymousIPList": BLOCK,
        "HostingProviderIPList": COUNT,
    },
}
