import CryptoKit
import Foundation
import VigilCore

/// The phone's biometric-bound key, in the simulator without a face: AES-256-GCM like the
/// Keychain key, and an unwrap that first asks `prompt` (Face ID on a phone), which returns
/// false when the officer cancels or is not recognised. The platform boundary the app
/// implements, not a component of ours (Android's tests have the same BiometricKey).
final class BiometricKey: KeyWrapper, @unchecked Sendable {
    private let lock = NSLock()
    private var key: SymmetricKey? = SymmetricKey(size: .bits256)
    private var promptAnswer = true
    private var promptCount = 0

    var prompt: Bool {
        get { lock.withLock { promptAnswer } }
        set { lock.withLock { promptAnswer = newValue } }
    }

    var prompts: Int { lock.withLock { promptCount } }

    func wrap(plaintext: Data) throws -> Data {
        guard let k = lock.withLock({ key }) else { throw KeyWrapperError.Failed(reason: "key deleted") }
        do {
            return try AES.GCM.seal(plaintext, using: k).combined ?? Data()
        } catch {
            throw KeyWrapperError.Failed(reason: "seal failed")
        }
    }

    func unwrap(wrapped: Data) throws -> Data {
        let (k, answer): (SymmetricKey?, Bool) = lock.withLock {
            promptCount += 1
            return (key, promptAnswer)
        }
        guard let k else { throw KeyWrapperError.Failed(reason: "key deleted") }
        guard answer else { throw KeyWrapperError.Failed(reason: "authentication cancelled") }
        do {
            return try AES.GCM.open(AES.GCM.SealedBox(combined: wrapped), using: k)
        } catch {
            throw KeyWrapperError.Failed(reason: "not wrapped by this key")
        }
    }

    func destroyKey() throws {
        lock.withLock { key = nil }
    }
}
