import DeviceModel
import UblkABI

extension RecoveryMode {
    /// The ADD_DEV flags that give the mode its behaviour.
    public var features: Features {
        switch self {
        case .none: []
        case .reissue: [.userRecovery, .userRecoveryReissue]
        case .failIO: [.userRecovery, .userRecoveryFailIO]
        }
    }
}
