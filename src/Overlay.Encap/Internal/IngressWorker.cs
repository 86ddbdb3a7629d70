using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Overlay.Encap.Internal.Interop;

namespace Overlay.Encap.Internal;

/// <summary>Network → TUN: receive in batches, split GRO buffers, strip the transport's outer header, check, coalesce and write into the TUN.</summary>
internal sealed unsafe class IngressWorker
{
    private const int ReceiveBufferSize = 65536;
    private const int ControlSize = 64;

    private readonly Tunnel _tunnel;
    private readonly TunnelTransport _transport;
    private readonly TunDevice _tun;
    private readonly WorkerCounters _counters;
    private readonly TcpCoalescer? _coalescer;
    private readonly bool _verifyTcpChecksum;
    private int _batch;
    private byte[]? _buffers;
    private Libc.MMsgHdr* _messages;
    private Libc.IoVec* _iovs;
    private Libc.SockAddrIn* _names;
    private byte* _controls;
    private int _sock;
    private bool _tunRef;
    private bool _sockRef;

    public IngressWorker(Tunnel tunnel, TunDevice tun, WorkerCounters counters)
    {
        _tunnel = tunnel;
        _transport = tunnel.Transport;
        _tun = tun;
        _counters = counters;
        _coalescer = tunnel.CoalescesTcp ? new TcpCoalescer() : null;
        _verifyTcpChecksum = !_transport.PayloadChecked;
    }

    /// <summary>Allocates the worker's buffers and references the descriptors; on the worker thread.</summary>
    public void Open()
    {
        _batch = _tunnel.Options.BatchSize;
        _buffers = GC.AllocateUninitializedArray<byte>(_batch * ReceiveBufferSize, pinned: true);
        _messages = (Libc.MMsgHdr*)NativeMemory.AllocZeroed((nuint)(_batch * sizeof(Libc.MMsgHdr)));
        _iovs = (Libc.IoVec*)NativeMemory.AllocZeroed((nuint)(_batch * sizeof(Libc.IoVec)));
        _names = (Libc.SockAddrIn*)NativeMemory.AllocZeroed((nuint)(_batch * sizeof(Libc.SockAddrIn)));
        _controls = (byte*)NativeMemory.AllocZeroed((nuint)(_batch * ControlSize));
        _tun.Handle.DangerousAddRef(ref _tunRef);
        _transport.Socket.DangerousAddRef(ref _sockRef);
        _sock = _transport.Socket.Fd;
        byte* bufferBase = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_buffers));
        for (int i = 0; i < _batch; i++)
        {
            _iovs[i].Base = bufferBase + ((long)i * ReceiveBufferSize);
            _iovs[i].Length = ReceiveBufferSize;
            _messages[i].Header.Iov = &_iovs[i];
            _messages[i].Header.IovLength = 1;
            _messages[i].Header.Name = &_names[i];
            _messages[i].Header.Control = _controls + (i * ControlSize);
        }
    }

    /// <summary>Receives one batch and delivers it into the TUN; returns how many messages (0: none waiting). Never blocks.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public int Pump()
    {
        Libc.MMsgHdr* messages = _messages;
        for (int i = 0; i < _batch; i++)
        {
            messages[i].Header.NameLength = (uint)sizeof(Libc.SockAddrIn);
            messages[i].Header.ControlLength = ControlSize;
            messages[i].Header.Flags = 0;
        }

        int n;
        while ((n = Libc.RecvMMsg(_sock, messages, (uint)_batch, Libc.MSG_DONTWAIT, null)) < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno == Libc.EAGAIN)
            {
                return 0;
            }

            if (errno != Libc.EINTR)
            {
                throw EncapException.FromErrno("recvmmsg", errno);
            }
        }

        _counters.Add(TunnelCounter.ReceiveCalls, 1);
        for (int i = 0; i < n; i++)
        {
            HandleMessage(ref messages[i], (byte*)_iovs[i].Base, _names[i]);
        }

        Flush();
        return n;
    }

    /// <summary>Releases what <see cref="Open"/> took; on the worker thread, also after a failure.</summary>
    public void Close()
    {
        if (_tunRef)
        {
            _tun.Handle.DangerousRelease();
            _tunRef = false;
        }

        if (_sockRef)
        {
            _transport.Socket.DangerousRelease();
            _sockRef = false;
        }

        NativeMemory.Free(_messages);
        NativeMemory.Free(_iovs);
        NativeMemory.Free(_names);
        NativeMemory.Free(_controls);
        _messages = null;
        _iovs = null;
        _names = null;
        _controls = null;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void HandleMessage(ref Libc.MMsgHdr message, byte* data, in Libc.SockAddrIn name)
    {
        int length = (int)message.Length;
        if ((message.Header.Flags & Libc.MSG_TRUNC) != 0)
        {
            _counters.Drop(TunnelDropReason.Oversize);
            return;
        }

        int segment = length;
        byte* control = (byte*)message.Header.Control;
        nuint controlLength = message.Header.ControlLength;
        nuint offset = 0;
        while (offset + (nuint)sizeof(Libc.CMsgHdr) <= controlLength)
        {
            var cmsg = (Libc.CMsgHdr*)(control + offset);
            if (cmsg->Length < (nuint)sizeof(Libc.CMsgHdr))
            {
                break;
            }

            if (cmsg->Level == Libc.SOL_UDP && cmsg->Type == Libc.UDP_GRO)
            {
                segment = *(int*)(cmsg + 1);
            }

            offset += (cmsg->Length + 7) & ~(nuint)7;
        }

        if (segment <= 0)
        {
            segment = length;
        }

        uint sender = BinaryPrimitives.ReverseEndianness(name.Address);
        for (int start = 0; start < length; start += segment)
        {
            Deliver(new Span<byte>(data + start, Math.Min(segment, length - start)), sender);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Deliver(Span<byte> received, uint sender)
    {
        int inner = _transport.InnerOffset(received, out TunnelDropReason outerProblem);
        if (inner < 0)
        {
            DropFrom(sender, outerProblem);
            return;
        }

        Span<byte> packet = received[inner..];
        int decision = _tunnel.Forwarder.DecideIngress(packet, sender, out TunnelPeerTable.PeerEntry owner);
        if (decision >= 0)
        {
            DropFrom(sender, (TunnelDropReason)decision);
            return;
        }

        _counters.Add(TunnelCounter.IngressPackets, 1);
        _counters.Add(TunnelCounter.IngressBytes, packet.Length);
        owner.Counters.AddIngress(packet.Length);
        if (_coalescer is { } coalescer && (!_verifyTcpChecksum || TcpChecksumValid(packet)))
        {
            CoalesceResult result = coalescer.TryAdd(packet);
            if (result == CoalesceResult.Added)
            {
                return;
            }

            Flush();
            if (result == CoalesceResult.Mismatch && coalescer.TryAdd(packet) == CoalesceResult.Added)
            {
                return;
            }
        }

        Write(packet, raw: false);
    }

    private void DropFrom(uint sender, TunnelDropReason reason)
    {
        // The peer's account first: whoever sees the node total move (interlocked, so ordered) also sees the peer's.
        if (_tunnel.Peers.TryGetEndpointCounters(sender, out TunnelPeerTable.PeerCounters? from))
        {
            from.AddDrops(1);
        }

        _counters.Drop(reason);
    }

    /// <summary>
    /// Whether a plain TCP/IPv4 packet's checksum is right (other packets: false, so they are written singly and the
    /// kernel checks them). A coalesced super-packet goes to the kernel with a partial checksum it trusts, so a segment
    /// no transport checksum covered must be verified before it joins one.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool TcpChecksumValid(ReadOnlySpan<byte> packet)
    {
        if (packet.Length < IPv4Header.MinimumLength + TcpHeader.MinimumLength || packet[0] != 0x45 || packet[9] != IPProtocols.Tcp)
        {
            return false;
        }

        ReadOnlySpan<byte> segment = packet[IPv4Header.MinimumLength..];
        ulong sum = InternetChecksum.PseudoHeaderSumIPv4(packet.Slice(12, 4), packet.Slice(16, 4), IPProtocols.Tcp, segment.Length);
        return InternetChecksum.Fold(InternetChecksum.Sum(segment, sum)) == 0xFFFF;
    }

    private void Flush()
    {
        if (_coalescer is { IsEmpty: false } coalescer)
        {
            int segments = coalescer.SegmentCount;
            if (!Write(coalescer.Flush(), raw: true))
            {
                _counters.Drop(TunnelDropReason.TunWriteFailed, segments - 1);
            }
        }
    }

    private bool Write(ReadOnlySpan<byte> bytes, bool raw)
    {
        try
        {
            bool written = raw ? _tun.TryWriteRaw(bytes) : _tun.TryWrite(bytes);
            _counters.Add(TunnelCounter.TunWrites, 1);
            if (written)
            {
                return true;
            }
        }
        catch (EncapException)
        {
        }

        _counters.Drop(TunnelDropReason.TunWriteFailed);
        return false;
    }
}
