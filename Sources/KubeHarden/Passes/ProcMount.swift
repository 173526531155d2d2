import YAMLSource

/// Containers use the default, masked `/proc` mount.
///
/// Finding: a container's `securityContext.procMount` is set to anything but `Default`.
/// Under the baseline profile a user namespace pod (`hostUsers: false`) may set any value
/// (policy ≥ 1.35); the restricted profile has no such relaxation.
/// Fix: replace the value with `Default` (unsafe: the workload chose an unmasked /proc, e.g. to
/// run nested containers).
/// Source: kubernetes/pod-security-admission `policy/check_procMount_baseline.go`,
/// `policy/check_procMount_restricted.go`.
struct ProcMount: Pass {
  static let metadata = PassMetadata(
    id: "proc-mount", title: "Containers use the default /proc mount",
    rationale: """
      The default /proc mount masks paths (/proc/kcore, /proc/sys, ...) that leak information about \
      the node or let a process change kernel settings. Unmasked is meant for nested containers in \
      user namespaces; the Baseline profile allows it only for pods with hostUsers: false, the \
      Restricted profile never.
      """,
    fixDescription: "Replaces `securityContext.procMount` with `Default`.",
    applicability: "Unsafe: the explicit value is the workload's choice (nested container builds need Unmasked).",
    references: [.owasp("K01"), .pss("/proc Mount Type", profile: "Baseline")],
    podSecurity: PodSecurity(.baseline, checks: ["procMount", "procMount_restricted"]),
    triggering: [
      PassExample(
        PassExample.pod("containers:\n- name: build\n  securityContext:\n    procMount: Unmasked  # buildkit"),
        fixed: PassExample.pod("containers:\n- name: build\n  securityContext:\n    procMount: Default  # buildkit"),
        applicability: .unsafe),
      PassExample(
        PassExample.pod("hostUsers: false\ncontainers:\n- name: build\n  securityContext: {procMount: Unmasked}"),
        fixed: PassExample.pod("hostUsers: false\ncontainers:\n- name: build\n  securityContext: {procMount: Default}"),
        applicability: .unsafe),
    ],
    nonTriggering: [
      PassExample(PassExample.barePod),
      PassExample(PassExample.pod("containers:\n- name: web\n  securityContext:\n    procMount: Default")),
    ])

  func check(_ pod: PodSpecView, context: PassContext) -> [Draft] {
    guard context.mentions(.procMount) else { return [] }
    // Baseline relaxes the check for user namespace pods; restricted does not.
    if context.configuration.profile == .baseline && context.isUserNamespacePod(pod) { return [] }
    let path = ["securityContext", "procMount"]
    return pod.containers.compactMap { container in
      guard let value = context.string(container.node, path), value != "Default" else { return nil }
      return Draft(
        message: "\(container.label) sets procMount: \(value) (Pod Security \(context.configuration.profile.rawValue): /proc mount type)",
        node: context.locate(container.node, path), status: container.sharedReason.map { .unfixable(reason: $0) } ?? .fixable,
        requirements: [Requirement(base: container.node, path: path, value: .string("Default"))], fixTitle: "Set procMount: Default",
        applicability: .unsafe)
    }
  }
}
