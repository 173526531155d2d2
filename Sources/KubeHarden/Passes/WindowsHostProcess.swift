import YAMLSource

/// Windows pods do not run HostProcess containers.
///
/// Finding: the pod's or a container's `securityContext.windowsOptions.hostProcess` is `true`.
/// Fix: none (manual): a HostProcess container runs as a process on the Windows node.
/// Source: kubernetes/pod-security-admission `policy/check_windowsHostProcess.go` (baseline).
struct WindowsHostProcess: Pass {
  static let metadata = PassMetadata(
    id: "windows-host-process", title: "Windows pods do not run HostProcess containers",
    rationale: """
      A Windows HostProcess container runs directly on the node, with the node's network and file \
      system and as a node account: full access to the node. The Baseline profile forbids it.
      """,
    fixDescription: "Nothing (manual): the finding names the pod or container that sets hostProcess: true.",
    applicability: "Manual only: node agents on Windows need HostProcess; others must run as ordinary containers.",
    references: [.owasp("K01"), .pss("HostProcess", profile: "Baseline")],
    podSecurity: PodSecurity(.baseline, checks: ["windowsHostProcess"]),
    triggering: [
      .unchanged(
        PassExample.pod(
          "securityContext:\n  windowsOptions:\n    hostProcess: true\n    runAsUserName: \"NT AUTHORITY\\\\SYSTEM\"\nhostNetwork: true\ncontainers:\n- name: agent"
        )),
      .unchanged(
        PassExample.pod("os: {name: windows}\ncontainers:\n- name: agent\n  securityContext: {windowsOptions: {hostProcess: true}}")),
    ],
    nonTriggering: [
      PassExample(PassExample.barePod),
      PassExample(
        PassExample.pod("os: {name: windows}\ncontainers:\n- name: web\n  securityContext: {windowsOptions: {hostProcess: false}}")),
    ])

  func check(_ pod: PodSpecView, context: PassContext) -> [Draft] {
    guard context.mentions(.hostProcess) else { return [] }
    let path = WorkloadLocator.hostProcessPath
    var bases: [(NodeID, String)] = [(pod.spec, "\(pod.label) (pod level)")]
    for container in pod.containers { bases.append((container.node, container.label)) }
    return bases.compactMap { base, label in
      guard context.bool(base, path) == true else { return nil }
      return .manual(
        "\(label) sets windowsOptions.hostProcess: true (Pod Security baseline: HostProcess)", at: context.locate(base, path),
        remedy:
          "run it as an ordinary Windows container unless it is a node agent; a node agent belongs in a namespace with the privileged Pod Security level"
      )
    }
  }
}
