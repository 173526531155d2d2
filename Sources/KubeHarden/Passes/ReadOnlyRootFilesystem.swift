import YAMLSource

/// Containers must have a read-only root filesystem.
///
/// Finding: a container's `securityContext.readOnlyRootFilesystem` is `false`, or absent.
/// Fix: replace the scalar with `true` or insert `readOnlyRootFilesystem: true`.
/// Applications that write outside mounted volumes need an `emptyDir` (e.g. at `/tmp`) or an
/// exemption annotation.
struct ReadOnlyRootFilesystem: Pass {
  static let metadata = PassMetadata(
    id: "read-only-root-filesystem", title: "Containers have a read-only root filesystem",
    rationale: """
      A writable root filesystem lets an attacker drop tools and persist changes inside the container. \
      Write to mounted volumes instead. Check that the application does not write outside its volumes \
      (temporary files often need an emptyDir at /tmp); exempt it with the annotation otherwise.
      """,
    fixDescription: "Sets `securityContext.readOnlyRootFilesystem: true` on every container, init container and ephemeral container.",
    references: [.owasp("K01"), .checkov("CKV_K8S_22")],
    configKeys: [
      ConfigKey(
        key: "tmpEmptyDir", flag: "--tmp-emptydir",
        summary: "also mount an emptyDir volume 'kubeharden-tmp' at /tmp in each container fixed (off by default)")
    ],
    triggering: [
      PassExample(
        """
        apiVersion: v1
        kind: Pod
        spec:
          containers:
          - name: web
            image: nginx
            securityContext:
              readOnlyRootFilesystem: false
        """,
        fixed: """
          apiVersion: v1
          kind: Pod
          spec:
            containers:
            - name: web
              image: nginx
              securityContext:
                readOnlyRootFilesystem: true
          """, applicability: .unsafe)
    ],
    nonTriggering: [
      PassExample(
        """
        apiVersion: batch/v1
        kind: Job
        spec:
          template:
            spec:
              containers:
              - name: job
                securityContext:
                  readOnlyRootFilesystem: true
        """)
    ])

  static let tmpVolume = "kubeharden-tmp"

  func check(_ pod: PodSpecView, context: PassContext) -> [Draft] {
    var drafts = containerBoolean(pod, context: context, field: "readOnlyRootFilesystem", desired: true) { container, current in
      current == false
        ? "\(container.label) has a writable root filesystem"
        : "\(container.label) does not set readOnlyRootFilesystem: true"
    }
    guard context.configuration.tmpEmptyDir else { return drafts }
    // Give each fixed container a writable /tmp, backed by one emptyDir per pod.
    let document = context.document
    let volumes = context.value(pod.spec, ["volumes"]).map { document.items($0) } ?? []
    let hasVolume = volumes.contains { item in
      context.value(document.resolved(item), ["name"]).flatMap { document.string($0) } == Self.tmpVolume
    }
    for index in drafts.indices where drafts[index].status.isFixable {
      guard let requirement = drafts[index].requirements.first,
        let container = pod.containers.first(where: { $0.node == requirement.base }), container.group != .ephemeralContainers
      else { continue }
      let mounts = context.value(container.node, ["volumeMounts"]).map { document.items($0) } ?? []
      let hasTmp = mounts.contains { item in context.value(document.resolved(item), ["mountPath"]).flatMap { document.string($0) } == "/tmp"
      }
      guard !hasTmp else { continue }
      drafts[index].requirements.append(
        Requirement(
          base: container.node, path: ["volumeMounts"],
          value: .sequence([.mapping([NewEntry("name", .string(Self.tmpVolume)), NewEntry("mountPath", .string("/tmp"))])])))
      if !hasVolume {
        drafts[index].requirements.append(
          Requirement(
            base: pod.spec, path: ["volumes"],
            value: .sequence([.mapping([NewEntry("name", .string(Self.tmpVolume)), NewEntry("emptyDir", .mapping([]))])])))
      }
      drafts[index].fixTitle += " and mount an emptyDir at /tmp"
    }
    return drafts
  }
}
