using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;

namespace Overlay.Netlink.Internal;

/// <summary>Builds and decodes NETLINK_XFRM messages: the fixed parts are the structs of XfrmStructs.cs
/// (linux/xfrm.h on 64-bit hosts), the rest attributes.</summary>
internal static class XfrmCodec
{
    /// <summary>The algorithm name field of <c>struct xfrm_algo</c>, <c>xfrm_algo_auth</c> and <c>xfrm_algo_aead</c>.</summary>
    public const int AlgorithmNameLength = 64;

    private const NetlinkMessageFlags RequestAck = NetlinkMessageFlags.Request | NetlinkMessageFlags.Acknowledge;

    public static void WritePolicy(ref NetlinkMessageWriter writer, ushort type, XfrmPolicy policy, uint sequence)
    {
        writer.BeginMessage(type, RequestAck, sequence);
        writer.WriteStruct(new XfrmUserPolicyInfo
        {
            Selector = ToStruct(policy.Selector),
            Lifetime = XfrmLifetimeCfg.Unlimited,
            Priority = policy.Priority,
            Index = policy.Index,
            Direction = (byte)policy.Direction,
            Action = (byte)policy.Action,
        });
        if (policy.Templates.Count > 0)
        {
            NestedAttribute templates = writer.BeginNested(XfrmAttributeType.Template);
            foreach (XfrmTemplate template in policy.Templates)
            {
                writer.WriteStruct(ToStruct(template));
            }

            writer.EndNested(templates);
        }

        WriteMark(ref writer, policy.Mark);
        writer.EndMessage();
    }

    public static void WritePolicyId(ref NetlinkMessageWriter writer, ushort type, XfrmSelector selector, XfrmPolicyDirection direction, XfrmMark? mark, uint sequence)
    {
        writer.BeginMessage(type, RequestAck, sequence);
        writer.WriteStruct(new XfrmUserPolicyId { Selector = ToStruct(selector), Direction = (byte)direction });
        WriteMark(ref writer, mark);
        writer.EndMessage();
    }

    public static void WriteFlush(ref NetlinkMessageWriter writer, ushort type, byte protocol, uint sequence)
    {
        writer.BeginMessage(type, RequestAck, sequence);
        if (type == XfrmMessageType.FlushStates)
        {
            writer.WriteStruct(protocol); // struct xfrm_usersa_flush { __u8 proto; }
        }

        writer.EndMessage();
    }

    public static void WriteState(ref NetlinkMessageWriter writer, ushort type, XfrmState state, uint sequence)
    {
        writer.BeginMessage(type, RequestAck, sequence);
        writer.WriteStruct(new XfrmUserSaInfo
        {
            Selector = state.Selector is null ? default : ToStruct(state.Selector),
            Id = new XfrmId { Destination = XfrmAddress.From(state.Destination), SpiBigEndian = NetworkOrder.Of(state.Spi), Protocol = state.Protocol },
            Source = XfrmAddress.From(state.Source),
            Lifetime = XfrmLifetimeCfg.Unlimited,
            RequestId = state.RequestId,
            Family = RtnetlinkCodec.FamilyOf(state.Destination),
            Mode = (byte)state.Mode,
            ReplayWindow = state.ReplayWindow,
        });
        if (state.Aead is { } aead)
        {
            WriteAlgorithm(ref writer, XfrmAttributeType.AeadAlgorithm, aead, withLength: true);
        }

        if (state.Encryption is { } crypt)
        {
            WriteAlgorithm(ref writer, XfrmAttributeType.EncryptionAlgorithm, crypt, withLength: false);
        }

        if (state.Authentication is { } auth)
        {
            WriteAlgorithm(ref writer, auth.LengthBits > 0 ? XfrmAttributeType.AuthenticationTruncatedAlgorithm : XfrmAttributeType.AuthenticationAlgorithm, auth, withLength: auth.LengthBits > 0);
        }

        if (state.Encapsulation is { } encap)
        {
            var value = new XfrmEncapTmpl
            {
                Type = encap.Type,
                SourcePortBigEndian = NetworkOrder.Of(encap.SourcePort),
                DestinationPortBigEndian = NetworkOrder.Of(encap.DestinationPort),
            };
            writer.WriteAttribute(XfrmAttributeType.Encapsulation, MemoryMarshal.AsBytes(new ReadOnlySpan<XfrmEncapTmpl>(in value)));
        }

        WriteMark(ref writer, state.Mark);
        writer.EndMessage();
    }

    public static void WriteStateId(ref NetlinkMessageWriter writer, ushort type, XfrmStateId id, uint sequence)
    {
        writer.BeginMessage(type, RequestAck, sequence);
        writer.WriteStruct(new XfrmUserSaId
        {
            Destination = XfrmAddress.From(id.Destination),
            SpiBigEndian = NetworkOrder.Of(id.Spi),
            Family = RtnetlinkCodec.FamilyOf(id.Destination),
            Protocol = id.Protocol,
        });
        if (id.Source is not null)
        {
            XfrmAddress source = XfrmAddress.From(id.Source);
            writer.WriteAttribute(XfrmAttributeType.SourceAddress, MemoryMarshal.AsBytes(new ReadOnlySpan<XfrmAddress>(in source)));
        }

        WriteMark(ref writer, id.Mark);
        writer.EndMessage();
    }

    public static XfrmPolicy DecodePolicy(NetlinkMessage message)
    {
        XfrmUserPolicyInfo info = MemoryMarshal.Read<XfrmUserPolicyInfo>(message.GetFixedHeader(XfrmUserPolicyInfo.Length));
        XfrmSelector selector = FromStruct(info.Selector);
        var templates = new List<XfrmTemplate>();
        XfrmMark? mark = null;
        NetlinkAttributeReader attributes = message.GetAttributes(XfrmUserPolicyInfo.Length);
        while (attributes.TryRead(out NetlinkAttribute a))
        {
            if (a.Type == XfrmAttributeType.Template)
            {
                if (a.Value.Length % XfrmUserTmpl.Length != 0)
                {
                    throw new NetlinkProtocolException($"XFRMA_TMPL of {a.Value.Length} bytes is not a multiple of {XfrmUserTmpl.Length}.");
                }

                foreach (XfrmUserTmpl template in MemoryMarshal.Cast<byte, XfrmUserTmpl>(a.Value))
                {
                    templates.Add(FromStruct(template));
                }
            }
            else if (a.Type == XfrmAttributeType.Mark)
            {
                mark = ReadMark(a);
            }
        }

        return new XfrmPolicy
        {
            Selector = selector,
            Priority = info.Priority,
            Index = info.Index,
            Direction = (XfrmPolicyDirection)info.Direction,
            Action = (XfrmPolicyAction)info.Action,
            Mark = mark,
            Templates = templates,
        };
    }

    public static XfrmState DecodeState(NetlinkMessage message)
    {
        XfrmUserSaInfo info = MemoryMarshal.Read<XfrmUserSaInfo>(message.GetFixedHeader(XfrmUserSaInfo.Length));
        AddressFamily family = ToAddressFamily(info.Family);
        XfrmAlgorithm? aead = null, crypt = null, auth = null;
        XfrmMark? mark = null;
        XfrmEncapsulation? encap = null;
        NetlinkAttributeReader attributes = message.GetAttributes(XfrmUserSaInfo.Length);
        while (attributes.TryRead(out NetlinkAttribute a))
        {
            switch (a.Type)
            {
                case XfrmAttributeType.AeadAlgorithm:
                    aead = ReadAlgorithm(a, withLength: true);
                    break;
                case XfrmAttributeType.EncryptionAlgorithm:
                    crypt = ReadAlgorithm(a, withLength: false);
                    break;
                case XfrmAttributeType.AuthenticationAlgorithm:
                    auth ??= ReadAlgorithm(a, withLength: false);
                    break;
                case XfrmAttributeType.AuthenticationTruncatedAlgorithm:
                    auth = ReadAlgorithm(a, withLength: true);
                    break;
                case XfrmAttributeType.Mark:
                    mark = ReadMark(a);
                    break;
                case XfrmAttributeType.Encapsulation when a.Value.Length >= 6:
                    // Only the first three fields: older kernels sent a shorter template.
                    encap = new XfrmEncapsulation(
                        NetworkOrder.Of(MemoryMarshal.Read<ushort>(a.Value[2..])),
                        NetworkOrder.Of(MemoryMarshal.Read<ushort>(a.Value[4..])),
                        MemoryMarshal.Read<ushort>(a.Value));
                    break;
                default:
                    break;
            }
        }

        return new XfrmState
        {
            Selector = info.Selector.Family == 0 ? null : FromStruct(info.Selector),
            Destination = info.Id.Destination.ToAddress(family),
            Spi = NetworkOrder.Of(info.Id.SpiBigEndian),
            Protocol = info.Id.Protocol,
            Source = info.Source.ToAddress(family),
            RequestId = info.RequestId,
            Mode = (XfrmMode)info.Mode,
            ReplayWindow = info.ReplayWindow,
            Aead = aead,
            Encryption = crypt,
            Authentication = auth,
            Encapsulation = encap,
            Mark = mark,
        };
    }

    private static AddressFamily ToAddressFamily(ushort linuxFamily) =>
        linuxFamily == LinuxAddressFamily.Inet6 ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork;

    private static XfrmSelectorStruct ToStruct(XfrmSelector selector) => new()
    {
        Destination = XfrmAddress.From(selector.Destination.BaseAddress),
        Source = XfrmAddress.From(selector.Source.BaseAddress),
        DestinationPortBigEndian = NetworkOrder.Of(selector.DestinationPort),
        DestinationPortMaskBigEndian = NetworkOrder.Of(selector.DestinationPortMask),
        SourcePortBigEndian = NetworkOrder.Of(selector.SourcePort),
        SourcePortMaskBigEndian = NetworkOrder.Of(selector.SourcePortMask),
        Family = RtnetlinkCodec.FamilyOf(selector.Destination.BaseAddress),
        DestinationPrefixLength = (byte)selector.Destination.PrefixLength,
        SourcePrefixLength = (byte)selector.Source.PrefixLength,
        Protocol = selector.Protocol,
        InterfaceIndex = selector.InterfaceIndex,
    };

    private static XfrmSelector FromStruct(in XfrmSelectorStruct selector)
    {
        AddressFamily family = ToAddressFamily(selector.Family);
        int max = family == AddressFamily.InterNetworkV6 ? 128 : 32;
        if (selector.DestinationPrefixLength > max || selector.SourcePrefixLength > max)
        {
            throw new NetlinkProtocolException($"xfrm selector prefix lengths {selector.DestinationPrefixLength}/{selector.SourcePrefixLength} exceed {max}.");
        }

        return new XfrmSelector
        {
            Destination = new IPNetwork(RtnetlinkCodec.Mask(selector.Destination.ToAddress(family), selector.DestinationPrefixLength), selector.DestinationPrefixLength),
            Source = new IPNetwork(RtnetlinkCodec.Mask(selector.Source.ToAddress(family), selector.SourcePrefixLength), selector.SourcePrefixLength),
            DestinationPort = NetworkOrder.Of(selector.DestinationPortBigEndian),
            DestinationPortMask = NetworkOrder.Of(selector.DestinationPortMaskBigEndian),
            SourcePort = NetworkOrder.Of(selector.SourcePortBigEndian),
            SourcePortMask = NetworkOrder.Of(selector.SourcePortMaskBigEndian),
            Protocol = selector.Protocol,
            InterfaceIndex = selector.InterfaceIndex,
        };
    }

    private static XfrmUserTmpl ToStruct(XfrmTemplate template) => new()
    {
        Id = new XfrmId { Destination = XfrmAddress.From(template.Destination), SpiBigEndian = NetworkOrder.Of(template.Spi), Protocol = template.Protocol },
        Family = RtnetlinkCodec.FamilyOf(template.Destination),
        Source = XfrmAddress.From(template.Source),
        RequestId = template.RequestId,
        Mode = (byte)template.Mode,
        Optional = template.Optional ? (byte)1 : (byte)0,
        AuthenticationAlgorithms = template.AuthenticationAlgorithms,
        EncryptionAlgorithms = template.EncryptionAlgorithms,
        CompressionAlgorithms = template.CompressionAlgorithms,
    };

    private static XfrmTemplate FromStruct(in XfrmUserTmpl template)
    {
        AddressFamily family = ToAddressFamily(template.Family);
        return new XfrmTemplate
        {
            Destination = template.Id.Destination.ToAddress(family),
            Spi = NetworkOrder.Of(template.Id.SpiBigEndian),
            Protocol = template.Id.Protocol,
            Source = template.Source.ToAddress(family),
            RequestId = template.RequestId,
            Mode = (XfrmMode)template.Mode,
            Optional = template.Optional != 0,
            AuthenticationAlgorithms = template.AuthenticationAlgorithms,
            EncryptionAlgorithms = template.EncryptionAlgorithms,
            CompressionAlgorithms = template.CompressionAlgorithms,
        };
    }

    private static void WriteMark(ref NetlinkMessageWriter writer, XfrmMark? mark)
    {
        if (mark is XfrmMark m)
        {
            var value = new XfrmMarkStruct { Value = m.Value, Mask = m.Mask };
            writer.WriteAttribute(XfrmAttributeType.Mark, MemoryMarshal.AsBytes(new ReadOnlySpan<XfrmMarkStruct>(in value)));
        }
    }

    private static XfrmMark ReadMark(NetlinkAttribute attribute)
    {
        if (attribute.Value.Length != XfrmMarkStruct.Length)
        {
            throw new NetlinkProtocolException($"XFRMA_MARK has {attribute.Value.Length} bytes; expected {XfrmMarkStruct.Length}.");
        }

        XfrmMarkStruct mark = MemoryMarshal.Read<XfrmMarkStruct>(attribute.Value);
        return new XfrmMark(mark.Value, mark.Mask);
    }

    private static void WriteAlgorithm(ref NetlinkMessageWriter writer, ushort type, XfrmAlgorithm algorithm, bool withLength)
    {
        int header = AlgorithmNameLength + (withLength ? 8 : 4);
        Span<byte> value = stackalloc byte[header + algorithm.Key.Length];
        value.Clear();
        Encoding.ASCII.GetBytes(algorithm.Name.AsSpan(0, Math.Min(algorithm.Name.Length, AlgorithmNameLength - 1)), value);
        HostOrder.WriteUInt32(value[AlgorithmNameLength..], (uint)(algorithm.Key.Length * 8));
        if (withLength)
        {
            HostOrder.WriteUInt32(value[(AlgorithmNameLength + 4)..], (uint)algorithm.LengthBits);
        }

        algorithm.Key.Span.CopyTo(value[header..]);
        writer.WriteAttribute(type, value);
    }

    private static XfrmAlgorithm ReadAlgorithm(NetlinkAttribute attribute, bool withLength)
    {
        int header = AlgorithmNameLength + (withLength ? 8 : 4);
        ReadOnlySpan<byte> value = attribute.Value;
        if (value.Length < header)
        {
            throw new NetlinkProtocolException($"xfrm algorithm attribute {attribute.Type} has {value.Length} bytes; at least {header} expected.");
        }

        ReadOnlySpan<byte> name = value[..AlgorithmNameLength];
        int nul = name.IndexOf((byte)0);
        uint keyBits = HostOrder.ReadUInt32(value[AlgorithmNameLength..]);
        long keyBytes = ((long)keyBits + 7) / 8;
        if (keyBytes > value.Length - header)
        {
            throw new NetlinkProtocolException($"xfrm algorithm key of {keyBits} bits exceeds the attribute.");
        }

        return new XfrmAlgorithm(
            Encoding.ASCII.GetString(nul >= 0 ? name[..nul] : name),
            value.Slice(header, (int)keyBytes).ToArray(),
            withLength ? (int)HostOrder.ReadUInt32(value[(AlgorithmNameLength + 4)..]) : 0);
    }
}
