import YAMLSource

/// Probes and lifecycle handlers target the pod, not another host.
///
/// Finding: a container's `livenessProbe`, `readinessProbe` or `startupProbe`, or its
/// `lifecycle.postStart` or `lifecycle.preStop`, has an `httpGet.host` or `tcpSocket.host` that
/// is not empty. Fix: none (manual).
/// Source: kubernetes/pod-security-admission `policy/check_hostProbesAndhostLifecycle.go`
/// (baseline, policy ≥ 1.34).
struct HostProbesAndLifecycle: Pass {
  static let handlers: [[String]] = [
    ["livenessProbe"], ["readinessProbe"], ["startupProbe"], ["lifecycle", "postStart"], ["lifecycle", "preStop"],
  ]

  static let metadata = PassMetadata(
    id: "host-probes-and-lifecycle", title: "Probes and lifecycle handlers do not name a host",
    rationale: """
      The kubelet sends probes and lifecycle requests from the node: a handler with a host makes \
      the kubelet connect to any address, a way to reach services on the node or elsewhere that \
      the pod itself cannot reach. The Baseline profile (1.34 and later) forbids a host there.
      """,
    fixDescription: "Nothing (manual): the finding names the handler; without a host the kubelet targets the pod's IP.",
    applicability:
      "Manual only: a handler that checks another address must be rewritten by a person (an exec probe, or a check in the application).",
    references: [.owasp("K01"), .pss("Probes / Lifecycle Hooks", profile: "Baseline")],
    podSecurity: PodSecurity(.baseline, checks: ["hostProbesAndHostLifecycle"]),
    triggering: [
      .unchanged(
        PassExample.pod(
          "containers:\n- name: web\n  livenessProbe:\n    httpGet: {host: 169.254.169.254, path: /, port: 80}\n  lifecycle:\n    preStop:\n      tcpSocket:\n        host: db.internal\n        port: 5432"
        ))
    ],
    nonTriggering: [
      PassExample(PassExample.barePod),
      PassExample(
        PassExample.pod(
          "containers:\n- name: web\n  readinessProbe:\n    httpGet: {host: \"\", path: /healthz, port: 8080}\n  startupProbe:\n    tcpSocket: {port: 8080}"
        )),
    ])

  func check(_ pod: PodSpecView, context: PassContext) -> [Draft] {
    guard context.mentions(.host) else { return [] }
    var drafts: [Draft] = []
    for container in pod.containers {
      for handler in Self.handlers {
        // Most containers have a probe or two and no lifecycle: one lookup per handler.
        guard let node = context.mapping(container.node, handler) else { continue }
        for action in ["httpGet", "tcpSocket"] {
          guard let host = context.string(node, [action, "host"]), !host.isEmpty else { continue }
          let path = handler + [action, "host"]
          let field = path.joined(separator: ".")
          drafts.append(
            .manual(
              "\(container.label) sets \(field): \(host) (Pod Security baseline: probe or lifecycle host)",
              at: context.locate(container.node, path),
              remedy:
                "remove \(field) so that the kubelet targets the pod's own IP; check other services from the application or an exec handler"
            ))
        }
      }
    }
    return drafts
  }
}
