import CryptoKit
import Foundation
import LocalAuthentication
import Security
import VigilCore

/// The platform key the core stacks on a key slot (the twin of Android's
/// `KeystoreKeyWrapper`). Where the phone has a Secure Enclave, a P-256 key generated
/// inside it wraps by ECIES (X9.63 SHA-256, AES-GCM): the private key never leaves the
/// enclave. Elsewhere (the simulator), a random 256-bit key in a Keychain item seals with
/// AES-GCM. Either way the item is `kSecAttrAccessibleWhenPasscodeSetThisDeviceOnly` (gone
/// if the passcode is removed, never in a backup, never on another device) and, with
/// `biometric`, needs `biometryCurrentSet` (invalidated when the enrolled fingers or face
/// change). Nothing here logs; errors carry no key material.
final class KeychainKeyWrapper: KeyWrapper {
    private let tag: String
    private let biometric: Bool

    init(tag: String = "app.vigil.platform.v1", biometric: Bool = false) {
        self.tag = tag
        self.biometric = biometric
    }

    /// Face ID or Touch ID is set up on this phone (the biometric wrapper is offered).
    static var biometricsAvailable: Bool {
        LAContext().canEvaluatePolicy(.deviceOwnerAuthenticationWithBiometrics, error: nil)
    }

    func wrap(plaintext: Data) throws -> Data {
        if SecureEnclave.isAvailable {
            let publicKey = try enclavePublicKey()
            var error: Unmanaged<CFError>?
            guard let out = SecKeyCreateEncryptedData(publicKey, Self.algorithm, plaintext as CFData, &error) else {
                throw KeyWrapperError.Failed(reason: "secure enclave wrap failed")
            }
            return out as Data
        }
        do {
            return try AES.GCM.seal(plaintext, using: try keychainKey()).combined ?? Data()
        } catch {
            throw KeyWrapperError.Failed(reason: "keychain wrap failed")
        }
    }

    func unwrap(wrapped: Data) throws -> Data {
        if SecureEnclave.isAvailable {
            guard let privateKey = try existingEnclaveKey() else {
                throw KeyWrapperError.Failed(reason: "platform key missing")
            }
            var error: Unmanaged<CFError>?
            guard let out = SecKeyCreateDecryptedData(privateKey, Self.algorithm, wrapped as CFData, &error) else {
                throw KeyWrapperError.Failed(reason: "secure enclave unwrap failed")
            }
            return out as Data
        }
        do {
            return try AES.GCM.open(AES.GCM.SealedBox(combined: wrapped), using: try keychainKey())
        } catch {
            throw KeyWrapperError.Failed(reason: "keychain unwrap failed")
        }
    }

    func destroyKey() throws {
        for query in [enclaveQuery(returning: false), genericQuery(returning: false)] {
            let status = SecItemDelete(query as CFDictionary)
            guard status == errSecSuccess || status == errSecItemNotFound else {
                throw KeyWrapperError.Failed(reason: "keychain delete failed (\(status))")
            }
        }
    }

    // MARK: Secure Enclave

    private static var algorithm: SecKeyAlgorithm { .eciesEncryptionCofactorVariableIVX963SHA256AESGCM }

    private func accessControl(_ extra: SecAccessControlCreateFlags) throws -> SecAccessControl {
        var flags = extra
        if biometric { flags.insert(.biometryCurrentSet) }
        var error: Unmanaged<CFError>?
        guard let access = SecAccessControlCreateWithFlags(
            nil, kSecAttrAccessibleWhenPasscodeSetThisDeviceOnly, flags, &error
        ) else {
            throw KeyWrapperError.Failed(reason: "access control refused")
        }
        return access
    }

    private func enclaveQuery(returning: Bool) -> [String: Any] {
        var q: [String: Any] = [
            kSecClass as String: kSecClassKey,
            kSecAttrApplicationTag as String: Data(tag.utf8),
            kSecAttrKeyType as String: kSecAttrKeyTypeECSECPrimeRandom,
        ]
        if returning { q[kSecReturnRef as String] = true }
        return q
    }

    private func existingEnclaveKey() throws -> SecKey? {
        var item: CFTypeRef?
        let status = SecItemCopyMatching(enclaveQuery(returning: true) as CFDictionary, &item)
        if status == errSecItemNotFound { return nil }
        guard status == errSecSuccess, let found = item else {
            throw KeyWrapperError.Failed(reason: "keychain read failed (\(status))")
        }
        // SecItemCopyMatching with kSecReturnRef on a key class returns a SecKey.
        return (found as! SecKey)
    }

    private func enclavePublicKey() throws -> SecKey {
        let privateKey: SecKey
        if let existing = try existingEnclaveKey() {
            privateKey = existing
        } else {
            let attributes: [String: Any] = [
                kSecAttrKeyType as String: kSecAttrKeyTypeECSECPrimeRandom,
                kSecAttrKeySizeInBits as String: 256,
                kSecAttrTokenID as String: kSecAttrTokenIDSecureEnclave,
                kSecPrivateKeyAttrs as String: [
                    kSecAttrIsPermanent as String: true,
                    kSecAttrApplicationTag as String: Data(tag.utf8),
                    kSecAttrAccessControl as String: try accessControl(.privateKeyUsage),
                ] as [String: Any],
            ]
            var error: Unmanaged<CFError>?
            guard let made = SecKeyCreateRandomKey(attributes as CFDictionary, &error) else {
                throw KeyWrapperError.Failed(reason: "secure enclave key refused")
            }
            privateKey = made
        }
        guard let publicKey = SecKeyCopyPublicKey(privateKey) else {
            throw KeyWrapperError.Failed(reason: "secure enclave public key missing")
        }
        return publicKey
    }

    // MARK: Keychain item (no Secure Enclave)

    private func genericQuery(returning: Bool) -> [String: Any] {
        var q: [String: Any] = [
            kSecClass as String: kSecClassGenericPassword,
            kSecAttrService as String: tag,
            kSecAttrAccount as String: "platform-key",
        ]
        if returning {
            q[kSecReturnData as String] = true
            q[kSecMatchLimit as String] = kSecMatchLimitOne
        }
        return q
    }

    private func keychainKey() throws -> SymmetricKey {
        var item: CFTypeRef?
        let status = SecItemCopyMatching(genericQuery(returning: true) as CFDictionary, &item)
        if status == errSecSuccess, let data = item as? Data {
            return SymmetricKey(data: data)
        }
        guard status == errSecItemNotFound else {
            throw KeyWrapperError.Failed(reason: "keychain read failed (\(status))")
        }
        let key = SymmetricKey(size: .bits256)
        var add = genericQuery(returning: false)
        add[kSecValueData as String] = key.withUnsafeBytes { Data($0) }
        add[kSecAttrAccessControl as String] = try accessControl([])
        let added = SecItemAdd(add as CFDictionary, nil)
        guard added == errSecSuccess else {
            throw KeyWrapperError.Failed(reason: "keychain write failed (\(added))")
        }
        return key
    }
}
