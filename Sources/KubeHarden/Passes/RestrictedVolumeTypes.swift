import YAMLSource

/// Pods use only the volume types of the Restricted profile.
///
/// Finding: a volume of `spec.volumes` whose source is none of configMap, csi, downwardAPI,
/// emptyDir, ephemeral, image, persistentVolumeClaim, projected, secret (hostPath, nfs, gitRepo,
/// awsElasticBlockStore, ...); one finding per volume. It replaces `host-path-volumes` under the
/// restricted profile, as PSA's `restrictedVolumes` overrides `hostPathVolumes`.
/// Fix: none (manual).
/// Source: kubernetes/pod-security-admission `policy/check_restrictedVolumes.go` (restricted, 1.0+).
struct RestrictedVolumeTypes: Pass {
  static let allowed: Set<String> = [
    "configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "image", "persistentVolumeClaim", "projected", "secret",
  ]

  static let metadata = PassMetadata(
    id: "restricted-volume-types", title: "Pods use only the Restricted volume types",
    rationale: """
      Inline volume sources such as nfs, iscsi, gitRepo or cloud disks let a pod mount storage that \
      the cluster administrator does not manage through persistent volumes, and hostPath exposes the \
      node. The Restricted profile allows only the volume types that do not reach outside the pod's \
      own data.
      """,
    fixDescription: "Nothing (manual): the finding names the volume and its type, and what replaces it.",
    applicability: "Manual only: moving data to a persistentVolumeClaim is a decision about storage.",
    references: [.owasp("K01"), .pss("Volume Types", profile: "Restricted")],
    podSecurity: PodSecurity(.restricted, checks: ["restrictedVolumes"]),
    triggering: [
      .unchanged(
        PassExample.pod(
          "containers:\n- name: web\nvolumes:\n- name: share\n  nfs: {server: nfs.example.com, path: /exports}\n- name: logs\n  hostPath:\n    path: /var/log"
        ))
    ],
    nonTriggering: [
      PassExample(PassExample.barePod),
      PassExample(
        PassExample.pod(
          "containers:\n- name: web\nvolumes:\n- name: a\n  emptyDir: {}\n- name: b\n  configMap: {name: b}\n- name: c\n  persistentVolumeClaim: {claimName: c}\n- name: d\n  projected: {sources: []}\n- name: e\n  image: {reference: example/data:1}"
        )),
    ])

  func check(_ pod: PodSpecView, context: PassContext) -> [Draft] {
    guard context.mentions(.volumes) else { return [] }
    return context.volumes(pod).compactMap { volume in
      // A source key with a null value is no source (the decoded volume has it nil).
      let sources = volume.sources.filter { !context.document.isNull(context.document.resolved($0.value)) }
      let names = sources.compactMap { context.document.string($0.key) }
      // No source at all: the API server defaults it to an emptyDir.
      guard !names.isEmpty, !names.contains(where: { Self.allowed.contains($0) }) else { return nil }
      let type = names.first ?? "unknown"
      let node = sources.first?.key ?? volume.volume
      let remedy: String
      if type == "hostPath" {
        let path = sources.first.flatMap { context.string(context.document.resolved($0.value), ["path"]) } ?? ""
        remedy = HostPathVolumes.remedy(path: path)
      } else if type == "gitRepo" {
        remedy = "replace it with an emptyDir and an init container that clones the repository into it (gitRepo is deprecated)"
      } else {
        remedy = "replace the inline \(type) volume with a persistentVolumeClaim bound to a PersistentVolume of that type"
      }
      return .manual(
        "\(pod.label) uses volume '\(volume.name)' of type \(type), outside the Restricted volume types (Pod Security restricted: volume types)",
        at: node, remedy: remedy)
    }
  }
}
