import YAMLSource

/// Pods do not mount directories of the node (`hostPath` volumes).
///
/// Finding: a volume of `spec.volumes` has a `hostPath` source, one finding per volume.
/// Fix: none (manual); the finding names the volume type that usually replaces it.
/// Under the restricted profile `restricted-volume-types` reports these volumes instead, as the
/// Pod Security Admission library does (`restrictedVolumes` overrides `hostPathVolumes`).
/// Source: kubernetes/pod-security-admission `policy/check_hostPathVolumes.go`,
/// `policy/check_restrictedVolumes.go` (`OverrideCheckIDs`).
struct HostPathVolumes: Pass {
  /// What usually replaces a hostPath volume, by the path it mounts.
  static func remedy(path: String) -> String {
    if path.hasSuffix(".sock") || path.hasPrefix("/var/run/docker") || path.hasPrefix("/run/containerd") {
      return "a container runtime socket gives control of the node: remove it, or run the workload as a reviewed node agent"
    }
    if path.hasPrefix("/var/log") {
      return "replace it with an emptyDir (or have the application log to stdout); only a log collector needs the node's logs"
    }
    if path == "/etc/localtime" || path.hasPrefix("/usr/share/zoneinfo") {
      return "replace it with the TZ environment variable or a configMap holding the zone file"
    }
    return "replace it with an emptyDir for scratch space, a persistentVolumeClaim for data, or a configMap/secret for files"
  }

  static let metadata = PassMetadata(
    id: "host-path-volumes", title: "Pods do not mount hostPath volumes",
    rationale: """
      A hostPath volume exposes a directory of the node to the container: with write access it can \
      plant binaries or read other pods' secrets, and a runtime socket gives control of the node. \
      The Baseline profile forbids hostPath volumes.
      """,
    fixDescription: "Nothing (manual): the finding names the volume and what usually replaces it.",
    applicability: "Manual only: what the volume holds and who reads it is known to a person only.",
    references: [.owasp("K01"), .pss("HostPath Volumes", profile: "Baseline"), .checkov("CKV_K8S_27")],
    podSecurity: PodSecurity(.baseline, checks: ["hostPathVolumes"], replacedInRestricted: true),
    triggering: [
      .unchanged(
        PassExample.pod(
          "containers:\n- name: web\nvolumes:\n- name: docker\n  hostPath:\n    path: /var/run/docker.sock\n- name: logs\n  hostPath: {path: /var/log}"
        ))
    ],
    nonTriggering: [
      PassExample(PassExample.barePod),
      PassExample(PassExample.pod("containers:\n- name: web\nvolumes:\n- name: tmp\n  emptyDir: {}")),
    ])

  func check(_ pod: PodSpecView, context: PassContext) -> [Draft] {
    guard context.mentions(.hostPath) else { return [] }
    return context.volumes(pod).compactMap { volume in
      guard let source = volume.sources.first(where: { context.document.string($0.key) == "hostPath" }) else { return nil }
      let path = context.string(context.document.resolved(source.value), ["path"]) ?? ""
      return .manual(
        "\(pod.label) mounts the node's \(path.isEmpty ? "directory" : path) as hostPath volume '\(volume.name)' (Pod Security baseline: hostPath volumes)",
        at: source.key, remedy: Self.remedy(path: path))
    }
  }
}
