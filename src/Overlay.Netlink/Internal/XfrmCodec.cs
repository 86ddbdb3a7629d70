using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Overlay.Netlink.Internal;

/// <summary>Builds and decodes NETLINK_XFRM messages. Layouts follow linux/xfrm.h on 64-bit hosts.</summary>
internal static class XfrmCodec
{
    public const int SelectorLength = 56;
    public const int LifetimeConfigLength = 64;
    public const int LifetimeCurrentLength = 32;
    public const int PolicyInfoLength = 168;
    public const int PolicyIdLength = 64;
    public const int TemplateLength = 64;
    public const int StateInfoLength = 224;
    public const int StateIdLength = 24;
    public const int AlgorithmNameLength = 64;

    private const NetlinkMessageFlags RequestAck = NetlinkMessageFlags.Request | NetlinkMessageFlags.Acknowledge;

    public static void WritePolicy(ref NetlinkMessageWriter writer, ushort type, XfrmPolicy policy, uint sequence)
    {
        writer.BeginMessage(type, RequestAck, sequence);
        Span<byte> info = writer.WriteZeroes(PolicyInfoLength);
        WriteSelector(info, policy.Selector);
        WriteInfiniteLifetime(info.Slice(SelectorLength, LifetimeConfigLength));
        HostOrder.WriteUInt32(info[152..], policy.Priority);
        HostOrder.WriteUInt32(info[156..], policy.Index);
        info[160] = (byte)policy.Direction;
        info[161] = (byte)policy.Action;
        if (policy.Templates.Count > 0)
        {
            NestedAttribute templates = writer.BeginNested(XfrmAttributeType.Template);
            foreach (XfrmTemplate template in policy.Templates)
            {
                WriteTemplate(writer.WriteZeroes(TemplateLength), template);
            }

            writer.EndNested(templates);
        }

        WriteMark(ref writer, policy.Mark);
        writer.EndMessage();
    }

    public static void WritePolicyId(ref NetlinkMessageWriter writer, ushort type, XfrmSelector selector, XfrmPolicyDirection direction, XfrmMark? mark, uint sequence)
    {
        writer.BeginMessage(type, RequestAck, sequence);
        Span<byte> id = writer.WriteZeroes(PolicyIdLength);
        WriteSelector(id, selector);
        id[60] = (byte)direction;
        WriteMark(ref writer, mark);
        writer.EndMessage();
    }

    public static void WriteFlush(ref NetlinkMessageWriter writer, ushort type, byte protocol, uint sequence)
    {
        writer.BeginMessage(type, RequestAck, sequence);
        if (type == XfrmMessageType.FlushStates)
        {
            writer.WriteZeroes(1)[0] = protocol; // struct xfrm_usersa_flush { __u8 proto; }
        }

        writer.EndMessage();
    }

    public static void WriteState(ref NetlinkMessageWriter writer, ushort type, XfrmState state, uint sequence)
    {
        writer.BeginMessage(type, RequestAck, sequence);
        Span<byte> info = writer.WriteZeroes(StateInfoLength);
        if (state.Selector is not null)
        {
            WriteSelector(info, state.Selector);
        }

        WriteAddress(info[56..], state.Destination);
        BinaryPrimitives.WriteUInt32BigEndian(info[72..], state.Spi);
        info[76] = state.Protocol;
        WriteAddress(info[80..], state.Source);
        WriteInfiniteLifetime(info.Slice(96, LifetimeConfigLength));
        HostOrder.WriteUInt32(info[208..], state.RequestId);
        HostOrder.WriteUInt16(info[212..], RtnetlinkCodec.FamilyOf(state.Destination));
        info[214] = (byte)state.Mode;
        info[215] = state.ReplayWindow;
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
            Span<byte> value = stackalloc byte[24]; // struct xfrm_encap_tmpl
            value.Clear();
            HostOrder.WriteUInt16(value, encap.Type);
            BinaryPrimitives.WriteUInt16BigEndian(value[2..], encap.SourcePort);
            BinaryPrimitives.WriteUInt16BigEndian(value[4..], encap.DestinationPort);
            writer.WriteAttribute(XfrmAttributeType.Encapsulation, value);
        }

        WriteMark(ref writer, state.Mark);
        writer.EndMessage();
    }

    public static void WriteStateId(ref NetlinkMessageWriter writer, ushort type, XfrmStateId id, uint sequence)
    {
        writer.BeginMessage(type, RequestAck, sequence);
        Span<byte> value = writer.WriteZeroes(StateIdLength);
        WriteAddress(value, id.Destination);
        BinaryPrimitives.WriteUInt32BigEndian(value[16..], id.Spi);
        HostOrder.WriteUInt16(value[20..], RtnetlinkCodec.FamilyOf(id.Destination));
        value[22] = id.Protocol;
        if (id.Source is not null)
        {
            Span<byte> source = stackalloc byte[16];
            source.Clear();
            WriteAddress(source, id.Source);
            writer.WriteAttribute(XfrmAttributeType.SourceAddress, source);
        }

        WriteMark(ref writer, id.Mark);
        writer.EndMessage();
    }

    public static XfrmPolicy DecodePolicy(NetlinkMessage message)
    {
        ReadOnlySpan<byte> info = message.GetFixedHeader(PolicyInfoLength);
        XfrmSelector selector = ReadSelector(info);
        var templates = new List<XfrmTemplate>();
        XfrmMark? mark = null;
        NetlinkAttributeReader attributes = message.GetAttributes(PolicyInfoLength);
        while (attributes.TryRead(out NetlinkAttribute a))
        {
            if (a.Type == XfrmAttributeType.Template)
            {
                if (a.Value.Length % TemplateLength != 0)
                {
                    throw new NetlinkProtocolException($"XFRMA_TMPL of {a.Value.Length} bytes is not a multiple of {TemplateLength}.");
                }

                for (int offset = 0; offset < a.Value.Length; offset += TemplateLength)
                {
                    templates.Add(ReadTemplate(a.Value.Slice(offset, TemplateLength)));
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
            Priority = HostOrder.ReadUInt32(info[152..]),
            Index = HostOrder.ReadUInt32(info[156..]),
            Direction = (XfrmPolicyDirection)info[160],
            Action = (XfrmPolicyAction)info[161],
            Mark = mark,
            Templates = templates,
        };
    }

    public static XfrmState DecodeState(NetlinkMessage message)
    {
        ReadOnlySpan<byte> info = message.GetFixedHeader(StateInfoLength);
        AddressFamily family = HostOrder.ReadUInt16(info[212..]) == LinuxAddressFamily.Inet6 ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork;
        XfrmAlgorithm? aead = null, crypt = null, auth = null;
        XfrmMark? mark = null;
        XfrmEncapsulation? encap = null;
        NetlinkAttributeReader attributes = message.GetAttributes(StateInfoLength);
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
                    encap = new XfrmEncapsulation(BinaryPrimitives.ReadUInt16BigEndian(a.Value[2..]), BinaryPrimitives.ReadUInt16BigEndian(a.Value[4..]), HostOrder.ReadUInt16(a.Value));
                    break;
                default:
                    break;
            }
        }

        XfrmSelector selector = ReadSelector(info);
        return new XfrmState
        {
            Selector = HostOrder.ReadUInt16(info[40..]) == 0 ? null : selector,
            Destination = ReadAddress(info[56..], family),
            Spi = BinaryPrimitives.ReadUInt32BigEndian(info[72..]),
            Protocol = info[76],
            Source = ReadAddress(info[80..], family),
            RequestId = HostOrder.ReadUInt32(info[208..]),
            Mode = (XfrmMode)info[214],
            ReplayWindow = info[215],
            Aead = aead,
            Encryption = crypt,
            Authentication = auth,
            Encapsulation = encap,
            Mark = mark,
        };
    }

    private static void WriteSelector(Span<byte> target, XfrmSelector selector)
    {
        WriteAddress(target, selector.Destination.BaseAddress);
        WriteAddress(target[16..], selector.Source.BaseAddress);
        BinaryPrimitives.WriteUInt16BigEndian(target[32..], selector.DestinationPort);
        BinaryPrimitives.WriteUInt16BigEndian(target[34..], selector.DestinationPortMask);
        BinaryPrimitives.WriteUInt16BigEndian(target[36..], selector.SourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(target[38..], selector.SourcePortMask);
        HostOrder.WriteUInt16(target[40..], RtnetlinkCodec.FamilyOf(selector.Destination.BaseAddress));
        target[42] = (byte)selector.Destination.PrefixLength;
        target[43] = (byte)selector.Source.PrefixLength;
        target[44] = selector.Protocol;
        HostOrder.WriteInt32(target[48..], selector.InterfaceIndex);
    }

    private static XfrmSelector ReadSelector(ReadOnlySpan<byte> source)
    {
        AddressFamily family = HostOrder.ReadUInt16(source[40..]) == LinuxAddressFamily.Inet6 ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork;
        int max = family == AddressFamily.InterNetworkV6 ? 128 : 32;
        if (source[42] > max || source[43] > max)
        {
            throw new NetlinkProtocolException($"xfrm selector prefix lengths {source[42]}/{source[43]} exceed {max}.");
        }

        return new XfrmSelector
        {
            Destination = new IPNetwork(RtnetlinkCodec.Mask(ReadAddress(source, family), source[42]), source[42]),
            Source = new IPNetwork(RtnetlinkCodec.Mask(ReadAddress(source[16..], family), source[43]), source[43]),
            DestinationPort = BinaryPrimitives.ReadUInt16BigEndian(source[32..]),
            DestinationPortMask = BinaryPrimitives.ReadUInt16BigEndian(source[34..]),
            SourcePort = BinaryPrimitives.ReadUInt16BigEndian(source[36..]),
            SourcePortMask = BinaryPrimitives.ReadUInt16BigEndian(source[38..]),
            Protocol = source[44],
            InterfaceIndex = HostOrder.ReadInt32(source[48..]),
        };
    }

    private static void WriteTemplate(Span<byte> target, XfrmTemplate template)
    {
        WriteAddress(target, template.Destination);
        BinaryPrimitives.WriteUInt32BigEndian(target[16..], template.Spi);
        target[20] = template.Protocol;
        HostOrder.WriteUInt16(target[24..], RtnetlinkCodec.FamilyOf(template.Destination));
        if (template.Source is not null)
        {
            WriteAddress(target[28..], template.Source);
        }

        HostOrder.WriteUInt32(target[44..], template.RequestId);
        target[48] = (byte)template.Mode;
        target[50] = template.Optional ? (byte)1 : (byte)0;
        HostOrder.WriteUInt32(target[52..], template.AuthenticationAlgorithms);
        HostOrder.WriteUInt32(target[56..], template.EncryptionAlgorithms);
        HostOrder.WriteUInt32(target[60..], template.CompressionAlgorithms);
    }

    private static XfrmTemplate ReadTemplate(ReadOnlySpan<byte> source)
    {
        AddressFamily family = HostOrder.ReadUInt16(source[24..]) == LinuxAddressFamily.Inet6 ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork;
        return new XfrmTemplate
        {
            Destination = ReadAddress(source, family),
            Spi = BinaryPrimitives.ReadUInt32BigEndian(source[16..]),
            Protocol = source[20],
            Source = ReadAddress(source[28..], family),
            RequestId = HostOrder.ReadUInt32(source[44..]),
            Mode = (XfrmMode)source[48],
            Optional = source[50] != 0,
            AuthenticationAlgorithms = HostOrder.ReadUInt32(source[52..]),
            EncryptionAlgorithms = HostOrder.ReadUInt32(source[56..]),
            CompressionAlgorithms = HostOrder.ReadUInt32(source[60..]),
        };
    }

    private static void WriteInfiniteLifetime(Span<byte> lifetime)
    {
        // soft/hard byte and packet limits = XFRM_INF; the expiry times stay 0 (none).
        lifetime[..32].Fill(0xFF);
    }

    private static void WriteAddress(Span<byte> target, IPAddress address) => address.TryWriteBytes(target, out _);

    private static IPAddress ReadAddress(ReadOnlySpan<byte> source, AddressFamily family) =>
        new(family == AddressFamily.InterNetworkV6 ? source[..16] : source[..4]);

    private static void WriteMark(ref NetlinkMessageWriter writer, XfrmMark? mark)
    {
        if (mark is XfrmMark m)
        {
            Span<byte> value = stackalloc byte[8];
            HostOrder.WriteUInt32(value, m.Value);
            HostOrder.WriteUInt32(value[4..], m.Mask);
            writer.WriteAttribute(XfrmAttributeType.Mark, value);
        }
    }

    private static XfrmMark ReadMark(NetlinkAttribute attribute)
    {
        if (attribute.Value.Length != 8)
        {
            throw new NetlinkProtocolException($"XFRMA_MARK has {attribute.Value.Length} bytes; expected 8.");
        }

        return new XfrmMark(HostOrder.ReadUInt32(attribute.Value), HostOrder.ReadUInt32(attribute.Value[4..]));
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
