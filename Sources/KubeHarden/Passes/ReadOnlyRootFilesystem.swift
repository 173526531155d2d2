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
    applicability: """
      Safe: readOnlyRootFilesystem: true where it is absent, with an emptyDir at /tmp and at \
      each path the image's profile says it writes (unless something is mounted there). Unsafe: \
      replacing an explicit false; a new value on a container that explicitly runs privileged or as \
      root. Manual: images whose profile says they write into their own filesystem, and node agents \
      (privileged-workload).
      """,
    references: [.owasp("K01"), .checkov("CKV_K8S_22")],
    configKeys: [
      ConfigKey(
        key: "tmpEmptyDir", flag: "--no-tmp-emptydir",
        summary:
          "mount an emptyDir volume 'kubeharden-tmp' at /tmp, and one at each path the image's profile writes, in each container fixed (on by default; false turns it off)"
      )
    ],
    triggering: [
      PassExample(
        """
        apiVersion: v1
        kind: Pod
        spec:
          containers:
          - name: web
            image: registry.example.com/web:1.0
            securityContext:
              readOnlyRootFilesystem: false
        """,
        fixed: """
          apiVersion: v1
          kind: Pod
          spec:
            containers:
            - name: web
              image: registry.example.com/web:1.0
              securityContext:
                readOnlyRootFilesystem: true
              volumeMounts:
              - name: kubeharden-tmp
                mountPath: /tmp
            volumes:
            - name: kubeharden-tmp
              emptyDir: {}
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
    let document = context.document
    let volumes = context.value(pod.spec, ["volumes"]).map { document.items($0) } ?? []
    let volumeNames = Set(volumes.compactMap { context.value(document.resolved($0), ["name"]).flatMap { document.string($0) } })
    for index in drafts.indices where drafts[index].status.isFixable {
      guard let requirement = drafts[index].requirements.first,
        let container = pod.containers.first(where: { $0.node == requirement.base })
      else { continue }
      let image = context.evidence.image(container)
      if let image, image.readOnlyRoot == false {
        drafts[index].status = .unfixable(
          reason: "the image \(image.name) writes into its own filesystem at run time\(image.notes.map { " (\($0))" } ?? ""); "
            + "mount writable volumes where it writes, or exempt the container")
        drafts[index].requirements = []
        continue
      }
      // A writable /tmp, and each path the image writes, backed by one emptyDir per path per pod.
      guard context.configuration.tmpEmptyDir, container.group != .ephemeralContainers else { continue }
      let mounted = (context.value(container.node, ["volumeMounts"]).map { document.items($0) } ?? []).compactMap {
        context.value(document.resolved($0), ["mountPath"]).flatMap { document.string($0) }
      }
      // Not the image's data paths: a Dockerfile VOLUME stays writable under a read-only root
      // ("OCI images may optionally be built with VOLUME statements which, if run in read-only
      // mode, would still result in write access to the specified location", Kyverno policy
      // block-images-with-volumes), and an emptyDir there would hide what the image put there.
      var paths = ["/tmp"]
      for path in image?.writablePaths ?? [] where !paths.contains(path) { paths.append(path) }
      let needed = paths.filter { path in !mounted.contains { Self.covers($0, path) } }
      guard !needed.isEmpty else { continue }
      let mounts = needed.map { NewValue.mapping([NewEntry("name", .string(Self.volumeName($0))), NewEntry("mountPath", .string($0))]) }
      drafts[index].requirements.append(Requirement(base: container.node, path: ["volumeMounts"], value: .sequence(mounts)))
      let newVolumes = needed.map(Self.volumeName).filter { !volumeNames.contains($0) }.map {
        NewValue.mapping([NewEntry("name", .string($0)), NewEntry("emptyDir", .mapping([]))])
      }
      if !newVolumes.isEmpty {
        drafts[index].requirements.append(Requirement(base: pod.spec, path: ["volumes"], value: .sequence(newVolumes)))
      }
      let where_ = needed.joined(separator: ", ")
      drafts[index].fixTitle += " and mount an emptyDir at \(where_)"
    }
    return drafts
  }

  /// Whether a volume mounted at `mountPath` makes `path` writable (the same path or a parent).
  static func covers(_ mountPath: String, _ path: String) -> Bool {
    var mount = mountPath
    while mount.count > 1 && mount.hasSuffix("/") { mount.removeLast() }
    return path == mount || path.hasPrefix(mount == "/" ? "/" : mount + "/")
  }

  /// The emptyDir volume for a path: `kubeharden-tmp` for `/tmp`, `kubeharden-var-run-postgresql`
  /// for `/var/run/postgresql` (a DNS-1123 label: lower-case letters, digits, `-`, 63 at most).
  static func volumeName(_ path: String) -> String {
    var name = Array("kubeharden".utf8)
    for byte in path.lowercased().utf8 {
      if (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) {
        name.append(byte)
      } else if name.last != UInt8(ascii: "-") {
        name.append(UInt8(ascii: "-"))
      }
    }
    var label = name.prefix(63)
    while label.last == UInt8(ascii: "-") { label.removeLast() }
    return String(decoding: label, as: UTF8.self)
  }
}
