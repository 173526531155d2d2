import YAMLSource

/// Containers add no capability outside the Baseline set.
///
/// Finding: a container's `securityContext.capabilities.add` lists a capability other than
/// AUDIT_WRITE, CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL, MKNOD, NET_BIND_SERVICE, SETFCAP,
/// SETGID, SETPCAP, SETUID, SYS_CHROOT; one finding per capability.
/// Fix: none yet (manual): removing an item from a list needs a deletion edit the planner does
/// not make; the finding says which entry to remove.
/// Under the restricted profile `drop-capabilities` reports added capabilities instead (only
/// NET_BIND_SERVICE is allowed there), as PSA's `capabilities_restricted` overrides this check.
/// Source: kubernetes/pod-security-admission `policy/check_capabilities_baseline.go`,
/// `policy/check_capabilities_restricted.go` (`OverrideCheckIDs`).
struct BaselineCapabilities: Pass {
  static let allowed: Set<String> = [
    "AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE", "SETFCAP", "SETGID",
    "SETPCAP", "SETUID", "SYS_CHROOT",
  ]

  static let metadata = PassMetadata(
    id: "baseline-capabilities", title: "Containers add no capability outside the Baseline set",
    rationale: """
      Capabilities such as SYS_ADMIN, NET_ADMIN, NET_RAW or SYS_PTRACE give a container powers of \
      the node's root user (mounting filesystems, changing the network, reading other processes). \
      The Baseline profile allows adding only the container runtime's default capabilities.
      """,
    fixDescription: "Nothing (manual): the finding names the capability to remove from capabilities.add.",
    applicability: """
      Manual: the application may need the capability (an iptables init container needs NET_ADMIN); \
      remove it where it does not.
      """,
    references: [.owasp("K01"), .pss("Capabilities", profile: "Baseline"), .checkov("CKV_K8S_25"), .checkov("CKV_K8S_39")],
    podSecurity: PodSecurity(.baseline, checks: ["capabilities_baseline"], replacedInRestricted: true),
    triggering: [
      .unchanged(PassExample.pod("containers:\n- name: web\n  securityContext:\n    capabilities:\n      add: [CHOWN, SYS_ADMIN, NET_RAW]"))
    ],
    nonTriggering: [
      PassExample(PassExample.barePod),
      PassExample(PassExample.pod("containers:\n- name: web\n  securityContext:\n    capabilities:\n      add:\n      - NET_BIND_SERVICE\n      - CHOWN")),
    ])

  func check(_ pod: PodSpecView, context: PassContext) -> [Draft] {
    var drafts: [Draft] = []
    for container in pod.containers {
      for item in context.items(container.node, ["securityContext", "capabilities", "add"]) {
        guard let name = context.document.string(item), !Self.allowed.contains(name) else { continue }
        drafts.append(
          .manual(
            "\(container.label) adds capability \(name), outside the Baseline set (Pod Security baseline: capabilities)", at: item,
            remedy: "remove \(name) from securityContext.capabilities.add unless the application cannot work without it"))
      }
    }
    return drafts
  }
}
