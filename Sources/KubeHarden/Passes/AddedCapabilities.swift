import YAMLSource

/// Containers add no capability outside the allowed set.
///
/// Finding, baseline profile (`capabilities_baseline`): a container's
/// `securityContext.capabilities.add` lists a capability other than AUDIT_WRITE, CHOWN,
/// DAC_OVERRIDE, FOWNER, FSETID, KILL, MKNOD, NET_BIND_SERVICE, SETFCAP, SETGID, SETPCAP, SETUID,
/// SYS_CHROOT; one finding per capability.
/// Restricted profile (`capabilities_restricted`, which replaces the baseline check): only
/// NET_BIND_SERVICE may be added. `drop-capabilities` reports that for the containers it fixes;
/// this pass reports it for the containers `drop-capabilities` leaves to `privileged-workload`
/// (those adding SYS_ADMIN, NET_ADMIN, NET_RAW, ...) or where it does not run, so that no added
/// capability is silent and none is reported twice.
/// Fix (unsafe): remove the capability from `add`. Manual where the container is a node agent or
/// adds a powerful capability (`PodEvidence.needsPrivileges`), or is shared through an alias.
/// Source: kubernetes/pod-security-admission `policy/check_capabilities_baseline.go`,
/// `policy/check_capabilities_restricted.go` (`OverrideCheckIDs`).
struct AddedCapabilities: Pass {
  static let allowed: Set<String> = [
    "AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE", "SETFCAP", "SETGID",
    "SETPCAP", "SETUID", "SYS_CHROOT",
  ]

  static let metadata = PassMetadata(
    id: "added-capabilities", title: "Containers add no capability outside the allowed set",
    rationale: """
      Capabilities such as SYS_ADMIN, NET_ADMIN, NET_RAW or SYS_PTRACE give a container powers of \
      the node's root user (mounting filesystems, changing the network, reading other processes). \
      The Baseline profile allows adding only the container runtime's default capabilities, the \
      Restricted profile only NET_BIND_SERVICE.
      """,
    fixDescription: "Removes the capability from securityContext.capabilities.add (the list stays, empty when nothing is left).",
    applicability: """
      Unsafe: the application may need the capability it adds (a time daemon needs SYS_TIME); \
      review it. Manual: node agents and containers that add powerful capabilities (SYS_ADMIN, \
      NET_ADMIN, NET_RAW, ...; see privileged-workload), whose work usually is what the capability \
      allows (an iptables init container needs NET_ADMIN).
      """,
    references: [.owasp("K01"), .pss("Capabilities", profile: "Baseline"), .checkov("CKV_K8S_25"), .checkov("CKV_K8S_39")],
    podSecurity: PodSecurity(.baseline, checks: ["capabilities_baseline", "capabilities_restricted"]),
    triggering: [
      .unchanged(
        PassExample.pod("containers:\n- name: web\n  securityContext:\n    capabilities:\n      add: [CHOWN, SYS_ADMIN, NET_RAW]")),
      PassExample(
        PassExample.pod(
          "containers:\n- name: clock\n  securityContext:\n    capabilities:\n      add:\n      - SYS_TIME  # adjusts the clock\n      - NET_BIND_SERVICE"
        ),
        fixed: PassExample.pod("containers:\n- name: clock\n  securityContext:\n    capabilities:\n      add:\n      - NET_BIND_SERVICE"),
        applicability: .unsafe),
    ],
    nonTriggering: [
      PassExample(PassExample.barePod),
      PassExample(PassExample.pod("containers:\n- name: web\n  securityContext:\n    capabilities:\n      add:\n      - NET_BIND_SERVICE")),
      PassExample(PassExample.pod("os: {name: windows}\ncontainers:\n- name: web\n  securityContext:\n    capabilities: {add: [NET_RAW]}")),
    ])

  func check(_ pod: PodSpecView, context: PassContext) -> [Draft] {
    guard context.mentions(.capabilities) else { return [] }
    let restricted = context.configuration.profile == .restricted
    // The restricted check exempts Windows pods (`spec.os.name: windows`, policy ≥ 1.25).
    if restricted && context.string(pod.spec, ["os", "name"]) == "windows" { return [] }
    let allowed = restricted ? ["NET_BIND_SERVICE"] : Self.allowed
    let label = restricted ? "the Restricted profile's one (NET_BIND_SERVICE)" : "the Baseline set"
    var drafts: [Draft] = []
    for container in pod.containers {
      // drop-capabilities reports added capabilities of the containers it examines.
      if restricted && context.willRun("drop-capabilities", on: container) && context.evidence.needsPrivileges(container).isEmpty {
        continue
      }
      for item in context.items(container.node, ["securityContext", "capabilities", "add"]) {
        guard let name = context.document.string(item), !allowed.contains(name) else { continue }
        let message =
          "\(container.label) adds capability \(name), outside \(label) (Pod Security \(context.configuration.profile.rawValue): capabilities)"
        let evidence = context.evidence.needsPrivileges(container)
        guard evidence.isEmpty else {
          drafts.append(
            .manual(
              message, at: item,
              remedy: "remove \(name) from securityContext.capabilities.add unless the application cannot work without it"))
          continue
        }
        drafts.append(
          Draft(
            message: message, node: item, status: container.sharedReason.map { .unfixable(reason: $0) } ?? .fixable,
            requirements: [.removing([.string(name)], base: container.node, path: ["securityContext", "capabilities", "add"])],
            fixTitle: "Remove \(name) from securityContext.capabilities.add", applicability: .unsafe))
      }
    }
    return drafts
  }
}
