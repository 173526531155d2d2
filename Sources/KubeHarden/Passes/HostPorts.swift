import YAMLSource

/// Containers do not bind ports of the node (`hostPort`).
///
/// Finding: a container's `ports[*].hostPort` is set and not 0, one finding per port.
/// Fix: none (manual): replacing a host port with a Service changes how clients reach the pod.
/// Source: kubernetes/pod-security-admission `policy/check_hostPorts.go` (baseline, all versions).
struct HostPorts: Pass {
  static let metadata = PassMetadata(
    id: "host-ports", title: "Containers do not use host ports",
    rationale: """
      A hostPort binds a port on the node's address: it bypasses network policies that select pods, \
      limits the pod to one per node, and exposes the container outside the cluster network. The \
      Baseline profile forbids host ports.
      """,
    fixDescription: "Nothing (manual): the finding names the port and says to use a Service.",
    applicability: "Manual only: clients that connect to the node's port must be moved to a Service by a person.",
    references: [.owasp("K01"), .pss("Host Ports", profile: "Baseline"), .checkov("CKV_K8S_26")],
    podSecurity: PodSecurity(.baseline, checks: ["hostPorts"]),
    triggering: [
      .unchanged(PassExample.pod("containers:\n- name: web\n  ports:\n  - containerPort: 8080\n    hostPort: 80")),
      .unchanged(
        PassExample.pod("initContainers:\n- name: init\n  ports: [{containerPort: 53, hostPort: \"53\"}]\ncontainers:\n- name: web")),
    ],
    nonTriggering: [
      PassExample(PassExample.barePod),
      PassExample(PassExample.pod("containers:\n- name: web\n  ports:\n  - containerPort: 8080\n    hostPort: 0\n  - containerPort: 9090")),
    ])

  func check(_ pod: PodSpecView, context: PassContext) -> [Draft] {
    guard context.mentions(.hostPort) else { return [] }
    var drafts: [Draft] = []
    for container in pod.containers {
      for port in context.items(container.node, ["ports"]) where context.document.isMapping(port) {
        guard let node = context.value(port, ["hostPort"]), !context.document.isNull(node) else { continue }
        let text = context.document.string(node) ?? ""
        guard context.document.integer(node) != 0, text != "0" else { continue }
        let containerPort = context.string(port, ["containerPort"]).map { " (containerPort \($0))" } ?? ""
        drafts.append(
          .manual(
            "\(container.label) binds hostPort \(text)\(containerPort) on the node (Pod Security baseline: host ports)",
            at: context.locate(port, ["hostPort"]),
            remedy:
              "remove hostPort and reach the pod through a Service (type NodePort or LoadBalancer where it must be reachable from outside)")
        )
      }
    }
    return drafts
  }
}
