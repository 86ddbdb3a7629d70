namespace Overlay.Netlink.Internal;

/// <summary>XFRM attributes (<c>XFRMA_*</c>).</summary>
internal static class XfrmAttributeType
{
    /// <summary>XFRMA_ALG_AUTH (struct xfrm_algo).</summary>
    public const ushort AuthenticationAlgorithm = 1;

    /// <summary>XFRMA_ALG_CRYPT (struct xfrm_algo).</summary>
    public const ushort EncryptionAlgorithm = 2;

    /// <summary>XFRMA_ENCAP (struct xfrm_encap_tmpl).</summary>
    public const ushort Encapsulation = 4;

    /// <summary>XFRMA_TMPL (array of struct xfrm_user_tmpl).</summary>
    public const ushort Template = 5;

    /// <summary>XFRMA_SRCADDR (xfrm_address_t).</summary>
    public const ushort SourceAddress = 13;

    /// <summary>XFRMA_POLICY_TYPE.</summary>
    public const ushort PolicyType = 16;

    /// <summary>XFRMA_ALG_AEAD (struct xfrm_algo_aead).</summary>
    public const ushort AeadAlgorithm = 18;

    /// <summary>XFRMA_ALG_AUTH_TRUNC (struct xfrm_algo_auth).</summary>
    public const ushort AuthenticationTruncatedAlgorithm = 20;

    /// <summary>XFRMA_MARK (struct xfrm_mark).</summary>
    public const ushort Mark = 21;
}
