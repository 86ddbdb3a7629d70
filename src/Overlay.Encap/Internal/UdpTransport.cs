using System.Buffers.Binary;
using System.Net;
using System.Runtime.InteropServices;
using Overlay.Encap.Internal.Interop;

namespace Overlay.Encap.Internal;

/// <summary>flannel's udp wire format: the UDP payload is exactly one inner IPv4 packet; GSO and GRO where the kernel has them.</summary>
internal sealed unsafe class UdpTransport : TunnelTransport
{
    private UdpTransport(SafeFileDescriptor socket, IPEndPoint bound)
        : base(socket)
    {
        LocalEndpoint = bound;
    }

    public IPEndPoint LocalEndpoint { get; }

    public override string Name => "UDP";

    public override string LocalDescription => LocalEndpoint.ToString();

    public override int IovsPerMessage => 1;

    public override int HeaderSpace => 0;

    public override bool SegmentationOffload => SegmentationProbed;

    public override bool ReceiveOffload => GroEnabled;

    // The outer UDP checksum (computed by the sending kernel, checked by the receiving one) covers the inner packet.
    public override bool PayloadChecked => true;

    public bool SegmentationProbed { get; private set; }

    public bool GroEnabled { get; private set; }

    public string? SegmentationUnavailableReason { get; private set; }

    public string? ReceiveOffloadUnavailableReason { get; private set; }

    /// <summary>Creates and binds the socket in the calling thread's namespace and probes the offloads asked for.</summary>
    public static UdpTransport Create(UdpTunnelOptions options)
    {
        IPEndPoint local = options.LocalEndpoint;
        int fd = Libc.Socket(Libc.AF_INET, Libc.SOCK_DGRAM | Libc.SOCK_NONBLOCK | Libc.SOCK_CLOEXEC, Libc.IPPROTO_UDP);
        if (fd < 0)
        {
            throw EncapException.FromErrno("socket(AF_INET, SOCK_DGRAM)", Marshal.GetLastPInvokeError());
        }

        var handle = new SafeFileDescriptor(fd);
        try
        {
            SetBuffers(fd, options.SocketBufferSize);
            var address = new Libc.SockAddrIn
            {
                Family = Libc.AF_INET,
                Port = BinaryPrimitives.ReverseEndianness((ushort)local.Port),
                Address = BinaryPrimitives.ReverseEndianness(IPv4Header.ToUInt32(local.Address)),
            };
            if (Libc.Bind(fd, &address, (uint)sizeof(Libc.SockAddrIn)) != 0)
            {
                throw EncapException.FromErrno($"bind {local}", Marshal.GetLastPInvokeError());
            }

            uint length = (uint)sizeof(Libc.SockAddrIn);
            if (Libc.GetSockName(fd, &address, &length) != 0)
            {
                throw EncapException.FromErrno("getsockname", Marshal.GetLastPInvokeError());
            }

            var bound = new IPEndPoint(IPv4Header.ToIPAddress(BinaryPrimitives.ReverseEndianness(address.Address)), BinaryPrimitives.ReverseEndianness(address.Port));
            var transport = new UdpTransport(handle, bound);
            if (options.UdpSegmentationOffload)
            {
                // The kernel knows UDP_SEGMENT if setting it to 0 is accepted (that changes nothing).
                transport.SegmentationProbed = Libc.SetInt(fd, Libc.SOL_UDP, Libc.UDP_SEGMENT, 0) == 0;
                transport.SegmentationUnavailableReason = transport.SegmentationProbed ? null : LastError();
            }

            if (options.UdpReceiveOffload)
            {
                transport.GroEnabled = Libc.SetInt(fd, Libc.SOL_UDP, Libc.UDP_GRO, 1) == 0;
                transport.ReceiveOffloadUnavailableReason = transport.GroEnabled ? null : LastError();
            }

            return transport;
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    public override void SetMessage(Libc.MsgHdr* message, Libc.IoVec* iovs, Libc.SockAddrIn* name, byte* header, byte* data, int length, in TunnelPeerTable.PeerEntry peer)
    {
        iovs[0].Base = data;
        iovs[0].Length = (nuint)length;
        name->Family = Libc.AF_INET;
        name->Port = BinaryPrimitives.ReverseEndianness(peer.Port);
        name->Address = BinaryPrimitives.ReverseEndianness(peer.Address);
        message->Name = name;
        message->NameLength = (uint)sizeof(Libc.SockAddrIn);
        message->Iov = iovs;
        message->IovLength = 1;
        message->Control = null;
        message->ControlLength = 0;
        message->Flags = 0;
    }

    public override int InnerOffset(ReadOnlySpan<byte> received, out TunnelDropReason reason)
    {
        reason = default;
        return 0;
    }
}
