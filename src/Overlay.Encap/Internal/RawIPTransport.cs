using System.Buffers.Binary;
using System.Net;
using System.Runtime.InteropServices;
using Overlay.Encap.Internal.Interop;

namespace Overlay.Encap.Internal;

/// <summary>
/// IP-in-IP (RFC 2003, what the kernel's ipip device sends) over a raw IPv4 socket of protocol 4 with
/// <c>IP_HDRINCL</c>: the outer header is written here as the kernel's ipip device with flannel's settings writes it
/// (ttl 0 = inherit the inner TTL, pmtudisc off = inherit the inner DF bit, tos 0 = ECN bits per RFC 6040), and the
/// kernel fills in the identification and the checksum. Received messages carry the outer header (raw sockets
/// deliver it), which is validated and skipped.
/// </summary>
internal sealed unsafe class RawIPTransport : TunnelTransport
{
    private const int OuterHeaderLength = IPv4Header.MinimumLength;
    private readonly uint _localNetworkOrder;

    private RawIPTransport(SafeFileDescriptor socket, IPAddress local)
        : base(socket)
    {
        LocalAddress = local;
        _localNetworkOrder = BinaryPrimitives.ReverseEndianness(IPv4Header.ToUInt32(local));
    }

    public IPAddress LocalAddress { get; }

    public override string Name => "IPIP";

    public override string LocalDescription => LocalAddress.ToString();

    public override int IovsPerMessage => 2;

    public override int HeaderSpace => OuterHeaderLength;

    // No checksum covers the inner packet on the wire (the outer header checksum covers the outer header only).
    public override bool PayloadChecked => false;

    /// <summary>Creates the raw protocol-4 socket in the calling thread's namespace, bound to the local address.</summary>
    public static RawIPTransport Create(IPIPTunnelOptions options)
    {
        IPAddress local = options.LocalAddress!;
        int fd = Libc.Socket(Libc.AF_INET, Libc.SOCK_RAW | Libc.SOCK_NONBLOCK | Libc.SOCK_CLOEXEC, Libc.IPPROTO_IPIP);
        if (fd < 0)
        {
            throw EncapException.FromErrno("socket(AF_INET, SOCK_RAW, IPPROTO_IPIP)", Marshal.GetLastPInvokeError());
        }

        var handle = new SafeFileDescriptor(fd);
        try
        {
            SetBuffers(fd, options.SocketBufferSize);
            if (Libc.SetInt(fd, Libc.SOL_IP, Libc.IP_HDRINCL, 1) != 0)
            {
                throw EncapException.FromErrno("setsockopt(IP_HDRINCL)", Marshal.GetLastPInvokeError());
            }

            var address = new Libc.SockAddrIn
            {
                Family = Libc.AF_INET,
                Address = BinaryPrimitives.ReverseEndianness(IPv4Header.ToUInt32(local)),
            };
            if (Libc.Bind(fd, &address, (uint)sizeof(Libc.SockAddrIn)) != 0)
            {
                throw EncapException.FromErrno($"bind {local} (raw, protocol 4)", Marshal.GetLastPInvokeError());
            }

            return new RawIPTransport(handle, local);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    public override void SetMessage(Libc.MsgHdr* message, Libc.IoVec* iovs, Libc.SockAddrIn* name, byte* header, byte* data, int length, in TunnelPeerTable.PeerEntry peer)
    {
        WriteOuterHeader(new Span<byte>(header, OuterHeaderLength), new ReadOnlySpan<byte>(data, length), _localNetworkOrder, peer.Address);
        iovs[0].Base = header;
        iovs[0].Length = OuterHeaderLength;
        iovs[1].Base = data;
        iovs[1].Length = (nuint)length;
        name->Family = Libc.AF_INET;
        name->Port = 0;
        name->Address = BinaryPrimitives.ReverseEndianness(peer.Address);
        message->Name = name;
        message->NameLength = (uint)sizeof(Libc.SockAddrIn);
        message->Iov = iovs;
        message->IovLength = 2;
        message->Control = null;
        message->ControlLength = 0;
        message->Flags = 0;
    }

    /// <summary>
    /// Writes the outer IPv4 header the kernel's ipip device (ttl inherit, pmtudisc off, tos 0) would put in front of
    /// <paramref name="inner"/>: TOS = the inner ECN bits (CE sent as ECT(0), RFC 6040), DF = the inner DF, TTL = the
    /// inner TTL, protocol 4; identification and checksum 0 (the kernel fills both for <c>IP_HDRINCL</c>).
    /// </summary>
    internal static void WriteOuterHeader(Span<byte> header, ReadOnlySpan<byte> inner, uint sourceNetworkOrder, uint destination)
    {
        byte ecn = (byte)(inner[1] & 0x3);
        header[0] = 0x45;
        header[1] = ecn == 0x3 ? (byte)0x2 : ecn;
        BinaryPrimitives.WriteUInt16BigEndian(header[2..], (ushort)(OuterHeaderLength + inner.Length));
        BinaryPrimitives.WriteUInt16BigEndian(header[4..], 0);
        BinaryPrimitives.WriteUInt16BigEndian(header[6..], (ushort)(BinaryPrimitives.ReadUInt16BigEndian(inner[6..]) & 0x4000));
        header[8] = inner[8];
        header[9] = IPProtocols.IPIP;
        BinaryPrimitives.WriteUInt16BigEndian(header[10..], 0);
        MemoryMarshal.Write(header[12..], sourceNetworkOrder);
        BinaryPrimitives.WriteUInt32BigEndian(header[16..], destination);
    }

    public override int InnerOffset(ReadOnlySpan<byte> received, out TunnelDropReason reason) => SkipOuterHeader(received, out reason);

    /// <summary>Validates the outer header a raw socket delivered and returns its length; -1 if malformed.</summary>
    internal static int SkipOuterHeader(ReadOnlySpan<byte> received, out TunnelDropReason reason)
    {
        // The kernel delivered it to this socket, so the outer checksum was good and the protocol is 4;
        // fragments were reassembled before delivery.
        int ihl = received.Length >= OuterHeaderLength ? (received[0] & 0xF) * 4 : 0;
        if (ihl < OuterHeaderLength || received[0] >> 4 != 4 || ihl > received.Length || received[9] != IPProtocols.IPIP)
        {
            reason = TunnelDropReason.BadOuterHeader;
            return -1;
        }

        reason = default;
        return ihl;
    }
}
