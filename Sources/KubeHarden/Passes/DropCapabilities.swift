import YAMLSource

/// Containers drop every Linux capability they do not add back.
///
/// Finding: a container's `securityContext.capabilities.drop` does not contain `ALL`.
/// Fix: append `ALL` to the drop list in its own style, or insert `capabilities: {drop: [ALL]}` as a
/// block (`drop:` then `- ALL`). `add` is left alone: capabilities added back after dropping ALL
/// keep working. Not written on Windows pods.
struct DropCapabilities: Pass {
  static let metadata = PassMetadata(
    id: "drop-capabilities", title: "Containers drop all capabilities",
    rationale: """
      Containers start with a default set of Linux capabilities (NET_RAW, CHOWN, SETUID, ...) that \
      most applications never use and that help an attacker (NET_RAW allows spoofing on the pod \
      network). Dropping ALL and adding back only what is needed is what the Restricted profile asks.
      """,
    fixDescription: """
      Adds `ALL` to `securityContext.capabilities.drop` on every container; an existing `add` list is \
      kept (capabilities listed there are still granted).
      """,
    applicability: """
      Safe: ALL added to capabilities.drop. Unsafe: where the image's entrypoint needs \
      default capabilities to start as root and step down (its profile lists them), and on a container \
      that explicitly runs privileged or as root, and removing added capabilities other than \
      NET_BIND_SERVICE (the application may need them). Manual: node agents (privileged-workload).
      """,
    references: [
      .owasp("K01"), .pss("Capabilities", profile: "Restricted"), .cis("5.2.10"), .checkov("CKV_K8S_37"), .checkov("CKV_K8S_28"),
    ],
    podSecurity: PodSecurity(.restricted, checks: ["capabilities_restricted"]),
    triggering: [
      PassExample(
        PassExample.barePod,
        fixed: """
          apiVersion: v1
          kind: Pod
          spec:
            containers:
            - name: web
              image: registry.example.com/web:1.0
              securityContext:
                capabilities:
                  drop:
                  - ALL
          """),
      PassExample(
        """
        apiVersion: v1
        kind: Pod
        spec:
          containers:
          - name: web
            securityContext:
              capabilities:
                add: [NET_BIND_SERVICE]
                drop: [NET_RAW]   # was enough once
        """,
        fixed: """
          apiVersion: v1
          kind: Pod
          spec:
            containers:
            - name: web
              securityContext:
                capabilities:
                  add: [NET_BIND_SERVICE]
                  drop: [NET_RAW, ALL]   # was enough once
          """),
    ],
    nonTriggering: [
      PassExample(
        """
        apiVersion: v1
        kind: Pod
        spec:
          containers:
          - name: web
            securityContext:
              capabilities:
                drop:
                  - ALL
        """)
    ])

  func check(_ pod: PodSpecView, context: PassContext) -> [Draft] {
    var drafts: [Draft] = []
    let path = ["securityContext", "capabilities", "drop"]
    for container in pod.containers {
      // A node agent or a network init container: privileged-workload says why it is left alone.
      if !context.evidence.needsPrivileges(container).isEmpty { continue }
      // Added capabilities survive `drop: [ALL]`: anything but NET_BIND_SERVICE needs a person.
      if !pod.isWindows, let add = context.value(container.node, ["securityContext", "capabilities", "add"]) {
        let added = context.document.items(add).compactMap { context.document.string(context.document.resolved($0)) }
        let extra = added.filter { $0 != "NET_BIND_SERVICE" }
        if !extra.isEmpty {
          // Removing them is the workload's risk to take: unsafe (the application may need them).
          drafts.append(
            Draft(
              message: "\(container.label) adds capabilities \(extra.joined(separator: ", ")) (dropping ALL does not remove them)",
              node: add, status: container.sharedReason.map { .unfixable(reason: $0) } ?? .fixable,
              requirements: [.removing(extra.map { .string($0) }, base: container.node, path: ["securityContext", "capabilities", "add"])],
              fixTitle:
                "Remove \(extra.joined(separator: ", ")) from securityContext.capabilities.add (only NET_BIND_SERVICE is allowed by the Restricted profile)",
              applicability: .unsafe))
        }
      }
      let drop = context.value(container.node, path)
      let names =
        drop.map { node in context.document.items(node).compactMap { context.document.string(context.document.resolved($0)) } } ?? []
      guard !names.contains("ALL") else { continue }
      let node = context.locate(container.node, path)
      if pod.isWindows {
        drafts.append(WindowsRules.skipped("capabilities", pod, node: node))
        continue
      }
      guard var applicability = context.evidence.applicability(forNewSettingOn: container) else { continue }
      var title = "Add ALL to securityContext.capabilities.drop"
      // An image whose entrypoint starts as root and steps down (chown, gosu) needs capabilities
      // of the default set, unless the container is made to start as its non-root user.
      if let image = context.evidence.image(container), !image.capabilities.isEmpty, !startsAsNonRoot(container, pod, context) {
        applicability = .unsafe
        title += " (the image \(image.name) needs \(image.capabilities.joined(separator: ", ")) when it starts as root)"
      }
      let fixTitle = title
      drafts.append(
        Draft(
          message: drop == nil ? "\(container.label) does not drop capabilities" : "\(container.label) does not drop ALL capabilities",
          node: node, status: container.sharedReason.map { .unfixable(reason: $0) } ?? .fixable,
          requirements: [Requirement(base: container.node, path: path, value: .sequence([.string("ALL")]))],
          fixTitle: fixTitle, applicability: applicability))
    }
    return drafts
  }

  /// Whether the manifest already makes the container start as a non-root UID (its own or the
  /// pod's runAsUser above 0).
  func startsAsNonRoot(_ container: ContainerView, _ pod: PodSpecView, _ context: PassContext) -> Bool {
    let path = ["securityContext", "runAsUser"]
    let uid = context.int(container.node, path) ?? context.int(pod.spec, path)
    return (uid ?? 0) > 0
  }
}
