import YAMLSource

/// Pods and containers keep the container SELinux types and set no SELinux user or role.
///
/// Finding: the pod's or a container's `securityContext.seLinuxOptions` sets a `type` other than
/// `container_t`, `container_init_t`, `container_kvm_t` or `container_engine_t` (policy ≥ 1.31),
/// or any `user` or `role`.
/// Fix: none (manual): the label is the workload's contract with the node's SELinux policy.
/// Source: kubernetes/pod-security-admission `policy/check_seLinuxOptions.go` (baseline; the
/// `latest` set includes container_engine_t from 1.31).
struct SELinuxOptions: Pass {
  static let allowedTypes: Set<String> = ["", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"]

  static let metadata = PassMetadata(
    id: "selinux-options", title: "Pods keep the container SELinux types",
    rationale: """
      An SELinux type such as spc_t or unconfined_t, or a custom user or role, lifts the SELinux \
      confinement of the container. The Baseline profile allows only the container types and no \
      user or role.
      """,
    fixDescription: "Nothing (manual): the finding names the field; remove it or use an allowed type.",
    applicability: "Manual only: the SELinux label must match the node's policy; only a person can change it.",
    references: [.owasp("K01"), .pss("SELinux", profile: "Baseline")],
    podSecurity: PodSecurity(.baseline, checks: ["seLinuxOptions"]),
    triggering: [
      .unchanged(PassExample.pod("securityContext:\n  seLinuxOptions: {type: spc_t}\ncontainers:\n- name: web")),
      .unchanged(
        PassExample.pod("containers:\n- name: web\n  securityContext:\n    seLinuxOptions:\n      user: system_u\n      role: system_r")),
    ],
    nonTriggering: [
      PassExample(PassExample.barePod),
      PassExample(
        PassExample.pod(
          "securityContext:\n  seLinuxOptions: {type: container_t, level: \"s0:c123,c456\"}\ncontainers:\n- name: web\n  securityContext:\n    seLinuxOptions: {type: container_engine_t}"
        )),
    ])

  func check(_ pod: PodSpecView, context: PassContext) -> [Draft] {
    guard context.mentions(.seLinuxOptions) else { return [] }
    var drafts: [Draft] = []
    let path = ["securityContext", "seLinuxOptions"]
    var bases: [(NodeID, String)] = [(pod.spec, "\(pod.label) (pod level)")]
    for container in pod.containers { bases.append((container.node, container.label)) }
    for (base, label) in bases {
      guard context.mapping(base, path) != nil else { continue }
      for field in ["type", "user", "role"] {
        guard let value = context.string(base, path + [field]), !value.isEmpty else { continue }
        if field == "type" && Self.allowedTypes.contains(value) { continue }
        let remedy =
          field == "type"
          ? "remove seLinuxOptions.type or use container_t (container_init_t, container_kvm_t, container_engine_t)"
          : "remove seLinuxOptions.\(field): the Baseline profile allows no SELinux \(field)"
        drafts.append(
          .manual(
            "\(label) sets seLinuxOptions.\(field): \(value) (Pod Security baseline: SELinux)", at: context.locate(base, path + [field]),
            remedy: remedy))
      }
    }
    return drafts
  }
}
