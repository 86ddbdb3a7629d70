using System.Net;

namespace Overlay.Netlink;

/// <summary>XFRM message types (<c>XFRM_MSG_*</c>, linux/xfrm.h).</summary>
public static class XfrmMessageType
{
    /// <summary>XFRM_MSG_NEWSA.</summary>
    public const ushort NewState = 16;

    /// <summary>XFRM_MSG_DELSA.</summary>
    public const ushort DeleteState = 17;

    /// <summary>XFRM_MSG_GETSA.</summary>
    public const ushort GetState = 18;

    /// <summary>XFRM_MSG_NEWPOLICY.</summary>
    public const ushort NewPolicy = 19;

    /// <summary>XFRM_MSG_DELPOLICY.</summary>
    public const ushort DeletePolicy = 20;

    /// <summary>XFRM_MSG_GETPOLICY.</summary>
    public const ushort GetPolicy = 21;

    /// <summary>XFRM_MSG_UPDPOLICY.</summary>
    public const ushort UpdatePolicy = 25;

    /// <summary>XFRM_MSG_UPDSA.</summary>
    public const ushort UpdateState = 26;

    /// <summary>XFRM_MSG_FLUSHSA.</summary>
    public const ushort FlushStates = 28;

    /// <summary>XFRM_MSG_FLUSHPOLICY.</summary>
    public const ushort FlushPolicies = 29;
}

/// <summary>XFRM attributes (<c>XFRMA_*</c>).</summary>
public static class XfrmAttributeType
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

/// <summary>Policy direction (<c>XFRM_POLICY_IN/OUT/FWD</c>).</summary>
public enum XfrmPolicyDirection : byte
{
    /// <summary>XFRM_POLICY_IN.</summary>
    In = 0,

    /// <summary>XFRM_POLICY_OUT.</summary>
    Out = 1,

    /// <summary>XFRM_POLICY_FWD.</summary>
    Forward = 2,
}

/// <summary>Policy action.</summary>
public enum XfrmPolicyAction : byte
{
    /// <summary>XFRM_POLICY_ALLOW.</summary>
    Allow = 0,

    /// <summary>XFRM_POLICY_BLOCK.</summary>
    Block = 1,
}

/// <summary>Transform mode (<c>XFRM_MODE_*</c>).</summary>
public enum XfrmMode : byte
{
    /// <summary>XFRM_MODE_TRANSPORT.</summary>
    Transport = 0,

    /// <summary>XFRM_MODE_TUNNEL.</summary>
    Tunnel = 1,

    /// <summary>XFRM_MODE_BEET.</summary>
    Beet = 4,
}

/// <summary>IPsec protocol numbers.</summary>
public static class XfrmProtocol
{
    /// <summary>ESP (50).</summary>
    public const byte Esp = 50;

    /// <summary>AH (51).</summary>
    public const byte Ah = 51;

    /// <summary>IPComp (108).</summary>
    public const byte Comp = 108;
}

/// <summary>An xfrm mark and mask (XFRMA_MARK).</summary>
/// <param name="Value">The mark.</param>
/// <param name="Mask">The mask.</param>
public readonly record struct XfrmMark(uint Value, uint Mask);

/// <summary>The traffic a policy or state applies to (<c>struct xfrm_selector</c>).</summary>
public sealed record XfrmSelector
{
    /// <summary>Source prefix.</summary>
    public required IPNetwork Source { get; init; }

    /// <summary>Destination prefix.</summary>
    public required IPNetwork Destination { get; init; }

    /// <summary>Source port (0: any).</summary>
    public ushort SourcePort { get; init; }

    /// <summary>Source port mask.</summary>
    public ushort SourcePortMask { get; init; }

    /// <summary>Destination port (0: any).</summary>
    public ushort DestinationPort { get; init; }

    /// <summary>Destination port mask.</summary>
    public ushort DestinationPortMask { get; init; }

    /// <summary>IP protocol (0: any).</summary>
    public byte Protocol { get; init; }

    /// <summary>Interface index (0: any).</summary>
    public int InterfaceIndex { get; init; }
}

/// <summary>A template of a policy (<c>struct xfrm_user_tmpl</c>): which SA must process the traffic.</summary>
public sealed record XfrmTemplate
{
    /// <summary>Tunnel source (outer source address).</summary>
    public IPAddress? Source { get; init; }

    /// <summary>Tunnel destination.</summary>
    public required IPAddress Destination { get; init; }

    /// <summary>Protocol (default ESP).</summary>
    public byte Protocol { get; init; } = XfrmProtocol.Esp;

    /// <summary>SPI (0: any).</summary>
    public uint Spi { get; init; }

    /// <summary>Mode (default tunnel).</summary>
    public XfrmMode Mode { get; init; } = XfrmMode.Tunnel;

    /// <summary>The request id that links the template to SAs (flannel uses 11).</summary>
    public uint RequestId { get; init; }

    /// <summary>Optional template.</summary>
    public bool Optional { get; init; }

    /// <summary>Allowed authentication algorithms (bitmask, default all).</summary>
    public uint AuthenticationAlgorithms { get; init; } = uint.MaxValue;

    /// <summary>Allowed encryption algorithms (bitmask, default all).</summary>
    public uint EncryptionAlgorithms { get; init; } = uint.MaxValue;

    /// <summary>Allowed compression algorithms (bitmask, default all).</summary>
    public uint CompressionAlgorithms { get; init; } = uint.MaxValue;
}

/// <summary>An xfrm policy (XFRM_MSG_NEWPOLICY / UPDPOLICY).</summary>
public sealed record XfrmPolicy
{
    /// <summary>The traffic selector.</summary>
    public required XfrmSelector Selector { get; init; }

    /// <summary>The direction.</summary>
    public required XfrmPolicyDirection Direction { get; init; }

    /// <summary>The action.</summary>
    public XfrmPolicyAction Action { get; init; }

    /// <summary>The priority (lower wins).</summary>
    public uint Priority { get; init; }

    /// <summary>The kernel's index (0 on add: the kernel chooses).</summary>
    public uint Index { get; init; }

    /// <summary>The mark, if any.</summary>
    public XfrmMark? Mark { get; init; }

    /// <summary>The templates.</summary>
    public IReadOnlyList<XfrmTemplate> Templates { get; init; } = [];
}

/// <summary>An algorithm of a state: name as the kernel's crypto API knows it and the key.</summary>
/// <param name="Name">E.g. <c>rfc4106(gcm(aes))</c>, <c>cbc(aes)</c>, <c>hmac(sha256)</c>.</param>
/// <param name="Key">The key bytes.</param>
/// <param name="LengthBits">ICV length for AEAD, truncation length for auth-trunc; ignored otherwise.</param>
public sealed record XfrmAlgorithm(string Name, ReadOnlyMemory<byte> Key, int LengthBits = 0)
{
    /// <summary>Redacts the key.</summary>
    /// <returns>The name only.</returns>
    public override string ToString() => $"{Name} ({Key.Length * 8}-bit key, redacted)";
}

/// <summary>UDP encapsulation of ESP (NAT traversal, XFRMA_ENCAP).</summary>
/// <param name="SourcePort">The source port.</param>
/// <param name="DestinationPort">The destination port.</param>
/// <param name="Type">UDP_ENCAP_ESPINUDP (2) by default.</param>
public sealed record XfrmEncapsulation(ushort SourcePort, ushort DestinationPort, ushort Type = 2);

/// <summary>An xfrm state (security association).</summary>
public sealed record XfrmState
{
    /// <summary>Outer source address.</summary>
    public required IPAddress Source { get; init; }

    /// <summary>Outer destination address.</summary>
    public required IPAddress Destination { get; init; }

    /// <summary>Protocol (default ESP).</summary>
    public byte Protocol { get; init; } = XfrmProtocol.Esp;

    /// <summary>The SPI.</summary>
    public required uint Spi { get; init; }

    /// <summary>The request id.</summary>
    public uint RequestId { get; init; }

    /// <summary>The mode (default tunnel).</summary>
    public XfrmMode Mode { get; init; } = XfrmMode.Tunnel;

    /// <summary>The replay window.</summary>
    public byte ReplayWindow { get; init; }

    /// <summary>The selector (null: any, family from the addresses).</summary>
    public XfrmSelector? Selector { get; init; }

    /// <summary>AEAD algorithm (XFRMA_ALG_AEAD).</summary>
    public XfrmAlgorithm? Aead { get; init; }

    /// <summary>Encryption algorithm (XFRMA_ALG_CRYPT).</summary>
    public XfrmAlgorithm? Encryption { get; init; }

    /// <summary>Authentication algorithm (XFRMA_ALG_AUTH_TRUNC when LengthBits &gt; 0, else XFRMA_ALG_AUTH).</summary>
    public XfrmAlgorithm? Authentication { get; init; }

    /// <summary>UDP encapsulation.</summary>
    public XfrmEncapsulation? Encapsulation { get; init; }

    /// <summary>The mark, if any.</summary>
    public XfrmMark? Mark { get; init; }
}

/// <summary>The key of a state (<c>struct xfrm_usersa_id</c> + source).</summary>
/// <param name="Destination">Outer destination.</param>
/// <param name="Spi">The SPI.</param>
/// <param name="Protocol">The protocol.</param>
/// <param name="Source">Outer source (XFRMA_SRCADDR), optional.</param>
/// <param name="Mark">The mark, if any.</param>
public sealed record XfrmStateId(IPAddress Destination, uint Spi, byte Protocol = XfrmProtocol.Esp, IPAddress? Source = null, XfrmMark? Mark = null);
