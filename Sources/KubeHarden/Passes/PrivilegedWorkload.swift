import YAMLSource

/// Workloads that need the host or powerful capabilities are reviewed by a person.
///
/// Finding: the pod uses the host (`hostNetwork`, `hostPID`, `hostIPC`, a `hostPath` volume, a
/// Windows HostProcess container), or a container adds `SYS_ADMIN`, `NET_ADMIN`, `NET_RAW`,
/// `SYS_PTRACE` or `SYS_MODULE`. One finding per pod, or per container for capabilities, naming
/// the evidence and where it is written.
/// Fix: none (manual). The other passes add no privilege or identity setting to such a container
/// (and no pod-level runAsNonRoot/runAsUser to such a pod), not even with `--unsafe-fixes`: a
/// node agent cannot be made unprivileged by an edit. Resources and seccomp are still fixed.
struct PrivilegedWorkload: Pass {
  static let metadata = PassMetadata(
    id: "privileged-workload", title: "Workloads that need the host or powerful capabilities are reviewed by a person",
    rationale: """
      A pod on the host's network, process or IPC namespace, or with a hostPath volume, is a node \
      agent (CNI plugins, log and metric collectors, storage drivers); a container that adds SYS_ADMIN, \
      NET_ADMIN, NET_RAW, SYS_PTRACE or SYS_MODULE manages the node or the network (istio-init). \
      Making them non-root, unprivileged or read-only stops them: calico, kube-router or an iptables \
      init container die. kubeharden leaves their privilege and identity settings alone and says why.
      """,
    fixDescription: """
      Nothing (manual). The other passes skip privilege and identity settings for these containers; \
      resources and seccomp are still written. Review the workload; if it must keep its access, \
      exempt it with the annotation kubeharden.io/skip: "privileged-workload".
      """,
    applicability: """
      Manual only: it explains why the other passes leave a node agent's privilege and \
      identity settings alone; nothing is written, not even with --unsafe-fixes.
      """,
    references: [
      .owasp("K01"), .pss("Host Namespaces", profile: "Baseline"), .pss("HostPath Volumes", profile: "Baseline"),
      .pss("Capabilities", profile: "Baseline"), .checkov("CKV_K8S_19"), .checkov("CKV_K8S_17"), .checkov("CKV_K8S_18"),
      .checkov("CKV_K8S_39"),
    ],
    triggering: [
      PassExample(
        """
        apiVersion: apps/v1
        kind: DaemonSet
        metadata:
          name: agent
        spec:
          template:
            spec:
              hostNetwork: true
              containers:
              - name: agent
                image: example/agent:1
        """,
        fixed: """
          apiVersion: apps/v1
          kind: DaemonSet
          metadata:
            name: agent
          spec:
            template:
              spec:
                hostNetwork: true
                containers:
                - name: agent
                  image: example/agent:1
          """),
      PassExample(
        """
        apiVersion: v1
        kind: Pod
        spec:
          initContainers:
          - name: istio-init
            securityContext:
              capabilities:
                add: [NET_ADMIN, NET_RAW]
          containers:
          - name: app
        """,
        fixed: """
          apiVersion: v1
          kind: Pod
          spec:
            initContainers:
            - name: istio-init
              securityContext:
                capabilities:
                  add: [NET_ADMIN, NET_RAW]
            containers:
            - name: app
          """),
    ],
    nonTriggering: [PassExample(PassExample.barePod)])

  func check(_ pod: PodSpecView, context: PassContext) -> [Draft] {
    let evidence = context.evidence
    let exempt = "if it must keep this access, exempt it with the annotation kubeharden.io/skip: \"\(Self.metadata.id)\""
    if let first = evidence.hostAccess.first {
      let items = evidence.hostAccess
      return [
        Draft(
          message: "\(pod.label) uses the host (\(context.describe(items))): no privilege or identity setting is added to its containers",
          node: first.node,
          status: .unfixable(reason: "a node agent cannot be made unprivileged by an edit; review what it needs; \(exempt)"))
      ]
    }
    var drafts: [Draft] = []
    for container in pod.containers {
      let items = evidence.needsPrivileges(container)
      guard let first = items.first else { continue }
      drafts.append(
        Draft(
          message: "\(container.label) \(context.describe(items)): no privilege or identity setting is added to it",
          node: first.node,
          status: .unfixable(
            reason: "it manages the node or the network (an iptables or sysctl init container); the pod's other containers are fixed as usual; \(exempt)"
          )))
    }
    return drafts
  }
}
