import YAMLSource

/// Pods do not share the host's network, process or IPC namespace.
///
/// Finding: `spec.hostNetwork`, `spec.hostPID` or `spec.hostIPC` is `true`, one finding per field.
/// Fix: none (manual): only a person knows whether the pod needs the host's namespace.
/// Source: kubernetes/pod-security-admission `policy/check_hostNamespaces.go` (baseline, all versions).
struct HostNamespaces: Pass {
  static let remedies = [
    "hostNetwork": "remove hostNetwork unless the pod is a node agent (CNI, node exporter); expose the pod through a Service instead",
    "hostPID": "remove hostPID unless the pod must see or signal the node's processes (a debugger or monitoring agent)",
    "hostIPC": "remove hostIPC; share memory between containers of one pod through an emptyDir with medium: Memory",
  ]

  static let metadata = PassMetadata(
    id: "host-namespaces", title: "Pods do not share the host's namespaces",
    rationale: """
      A pod on the host's network sees every connection of the node and can bind its ports; on the \
      host's PID namespace it sees and signals every process; on the host's IPC namespace it reads \
      the node's shared memory. The Baseline profile forbids all three.
      """,
    fixDescription: "Nothing (manual): the finding names the field and what usually replaces it.",
    applicability: "Manual only: a fixer cannot know that a pod does not need the host's namespace.",
    references: [
      .owasp("K01"), .pss("Host Namespaces", profile: "Baseline"), .cis("5.2.3"), .cis("5.2.4"), .cis("5.2.5"),
      .checkov("CKV_K8S_19"), .checkov("CKV_K8S_17"), .checkov("CKV_K8S_18"),
    ],
    podSecurity: PodSecurity(.baseline, checks: ["hostNamespaces"]),
    triggering: [
      .unchanged(PassExample.pod("hostNetwork: true\nhostPID: true  # debugging\ncontainers:\n- name: web\n  image: example/web:1")),
      .unchanged(PassExample.pod("hostIPC: true\ncontainers:\n- name: web")),
    ],
    nonTriggering: [
      PassExample(PassExample.barePod),
      PassExample(PassExample.pod("hostNetwork: false\nhostPID: null\ncontainers:\n- name: web")),
    ])

  func check(_ pod: PodSpecView, context: PassContext) -> [Draft] {
    guard context.mentions(.hostNamespaces) else { return [] }
    return ["hostNetwork", "hostPID", "hostIPC"].compactMap { field in
      guard context.bool(pod.spec, [field]) == true else { return nil }
      return .manual(
        "\(pod.label) sets \(field): true (Pod Security baseline: host namespaces)", at: context.locate(pod.spec, [field]),
        remedy: Self.remedies[field] ?? "remove \(field)")
    }
  }
}
