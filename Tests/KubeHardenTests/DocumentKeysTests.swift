import Foundation
import XCTest
import YAMLSource

@testable import KubeHarden

/// `DocumentKeys` lets passes skip documents that do not write their keys: it must never say
/// "absent" for a key that is there, however it is written, and skipping must never change what
/// any pass finds.
final class DocumentKeysTests: XCTestCase {
  func keys(_ text: String) throws -> DocumentKeys {
    DocumentKeys(try XCTUnwrap(try YAMLParser.parse(SourceBuffer(text)).first))
  }

  func testFindsKeysHoweverTheyAreWritten() throws {
    XCTAssertTrue(try keys("spec: {hostNetwork: true}").contains(.hostNetwork))
    // Quoted, and escaped inside double quotes: the decoded value is what counts.
    XCTAssertTrue(try keys("spec:\n  'hostPID': true").contains(.hostPID))
    XCTAssertTrue(try keys("spec:\n  \"host\\u0049PC\": true").contains(.hostIPC))
    // An alias used as a key stands for a scalar written elsewhere in the same document.
    let aliased = try keys("x: &k sysctls\nspec:\n  securityContext:\n    *k : [{name: a}]")
    XCTAssertTrue(aliased.contains(.sysctls))
    XCTAssertTrue(
      try keys("metadata:\n  annotations:\n    container.apparmor.security.beta.kubernetes.io/web: unconfined").contains(
        .appArmorAnnotation))
    XCTAssertTrue(
      try keys("a: [host, hostPath, hostPort, hostProcess, capabilities, procMount, appArmorProfile, seLinuxOptions, volumes]")
        .isSuperset(of: [.host, .hostPath, .hostPort, .hostProcess, .capabilities, .procMount, .appArmorProfile, .seLinuxOptions, .volumes])
    )
  }

  func testReportsAbsentKeysAsAbsent() throws {
    let found = try keys("apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - name: web\n    image: nginx\n    hostname: localhost\n")
    XCTAssertTrue(found.isDisjoint(with: [.host, .hostNetwork, .hostPath, .hostPort, .sysctls, .volumes, .appArmorAnnotation]))
    XCTAssertFalse(try keys("a: container.apparmor.security.beta.kubernetes.io").contains(.appArmorAnnotation))
  }

  /// Every pass, on every pod of the dev corpus and of the golden fixtures (which hold a failing
  /// pod for each Pod Security check), drafts the same findings with the document's keys as with
  /// no index at all.
  func testSkippingNeverChangesFindings() throws {
    let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    var files = Self.manifests(under: repo.appendingPathComponent("Fixtures"))
    if let corpus = CorpusPropertyTests.corpus {
      files += Self.manifests(under: corpus)
    } else {
      print("SKIPPED (corpus part): ../shared/corpus/dev is not present next to the repository")
    }
    XCTAssertGreaterThan(files.count, 50)
    var pods = 0
    var drafts = 0
    for profile in [PodSecurityProfile.restricted, .baseline] {
      var configuration = Configuration()
      configuration.profile = profile
      for file in files {
        guard let bytes = try? Array(Data(contentsOf: file)), let documents = try? YAMLParser.parse(SourceBuffer(bytes)) else { continue }
        for document in documents {
          let editor = MappingEditor(document)
          let keys = DocumentKeys(document)
          for pod in WorkloadLocator().podSpecs(in: editor) {
            pods += 1
            let exemptions = Exemptions(pod: pod, editor: editor, lines: Locations(nil))
            func context(_ keys: DocumentKeys) -> PassContext {
              PassContext(
                configuration: configuration, editor: editor, exemptions: exemptions,
                evidence: PodEvidence(pod: pod, editor: editor, images: configuration.images, keys: keys), keys: keys)
            }
            let indexed = context(keys)
            let unindexed = context(.all)
            for (pass, id, _) in PassRegistry.runnable {
              let with = pass.check(pod, context: indexed).map(Self.summary)
              let without = pass.check(pod, context: unindexed).map(Self.summary)
              drafts += without.count
              XCTAssertEqual(with, without, "\(id) on \(file.lastPathComponent) document \(document.index + 1)")
            }
          }
        }
      }
    }
    XCTAssertGreaterThan(pods, 100)
    XCTAssertGreaterThan(drafts, 100)
  }

  static func summary(_ draft: Draft) -> String {
    "\(draft.node.raw) \(draft.status) \(draft.applicability) \(draft.requirements.map { "\($0.base.raw)\($0.path)=\($0.value)" }) \(draft.message)"
  }

  static func manifests(under root: URL) -> [URL] {
    let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil)
    var files: [URL] = []
    while let url = walker?.nextObject() as? URL {
      if ["yaml", "yml", "json"].contains(url.pathExtension) { files.append(url) }
    }
    return files.sorted { $0.path < $1.path }
  }
}
