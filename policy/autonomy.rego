# May this agent, acting as this identity, run this workflow without a person's approval now?
#
# data:  the bundle the Autonomy Assessor serves at /api/v1/grants/bundle
#        {"grants": {agent id: {workflow key: grant}}, "revoked": [jti], "generated_at": ...}
# input: {"agent": "12", "identity": "34", "workflow": "56", "now": 1767225600}
#        agent, identity and workflow as the grant names them (the register's agent and
#        identity ids, the workflow key); now in seconds since the epoch (default: the clock).
#
# decision.result is "allow" (a current, unrevoked bounded-ownership grant), "with_approval"
# (a current supervised grant: a named person approves each run) or "deny", with a reason.
package autonomy

import rego.v1

now := input.now if is_number(input.now)

else := time.now_ns() / 1000000000

default decision := {"result": "deny", "reason": "no autonomy grant for this agent on this workflow"}

decision := judged if {
	grant := data.grants[sprintf("%v", [input.agent])][sprintf("%v", [input.workflow])]
	judged := judge(grant)
}

judge(grant) := {"result": "deny", "reason": "the grant was revoked"} if {
	grant.jti in data.revoked
} else := {"result": "deny", "reason": "the grant is not valid yet"} if {
	now < grant.nbf
} else := {"result": "deny", "reason": "the grant expired: its review-by date passed"} if {
	now >= grant.exp
} else := {"result": "deny", "reason": "the grant does not name this identity"} if {
	not sprintf("%v", [input.identity]) in grant.identities
} else := {"result": "allow", "reason": "a current bounded-ownership grant"} if {
	grant.verdict == "owner"
} else := {"result": "with_approval", "reason": "a supervised grant: a named person approves each run"} if {
	grant.verdict == "supervised"
} else := {"result": "deny", "reason": "the grant's verdict gives no autonomy"}

allow := decision.result == "allow"

with_approval := decision.result == "with_approval"

deny := decision.result == "deny"

reason := decision.reason
