using System.Runtime.InteropServices;

namespace Overlay.Netlink.Internal;

/// <summary>Reads and writes integers in host byte order (netlink's default).</summary>
internal static class HostOrder
{
    public static void WriteUInt16(Span<byte> span, ushort value) => MemoryMarshal.Write(span, in value);

    public static void WriteUInt32(Span<byte> span, uint value) => MemoryMarshal.Write(span, in value);

    public static void WriteInt32(Span<byte> span, int value) => MemoryMarshal.Write(span, in value);

    public static void WriteUInt64(Span<byte> span, ulong value) => MemoryMarshal.Write(span, in value);

    public static ushort ReadUInt16(ReadOnlySpan<byte> span) => MemoryMarshal.Read<ushort>(span);

    public static uint ReadUInt32(ReadOnlySpan<byte> span) => MemoryMarshal.Read<uint>(span);

    public static int ReadInt32(ReadOnlySpan<byte> span) => MemoryMarshal.Read<int>(span);

    public static ulong ReadUInt64(ReadOnlySpan<byte> span) => MemoryMarshal.Read<ulong>(span);
}
