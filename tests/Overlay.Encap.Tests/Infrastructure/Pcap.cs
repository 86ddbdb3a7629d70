using Overlay.Testing;
using System.Buffers.Binary;

namespace Overlay.Encap.Tests.Infrastructure;

/// <summary>Writes classic pcap files and dissects them with tshark, the independent oracle for golden packets.</summary>
public static class Pcap
{
    public const uint LinkTypeEthernet = 1;
    public const uint LinkTypeRaw = 101;

    public static string Write(uint linkType, params byte[][] packets)
    {
        string path = Path.Combine(Path.GetTempPath(), $"ovl-encap-{Environment.ProcessId}-{Guid.NewGuid():N}.pcap");
        using var stream = File.Create(path);
        Span<byte> header = stackalloc byte[24];
        BinaryPrimitives.WriteUInt32LittleEndian(header, 0xA1B2C3D4);
        BinaryPrimitives.WriteUInt16LittleEndian(header[4..], 2);
        BinaryPrimitives.WriteUInt16LittleEndian(header[6..], 4);
        BinaryPrimitives.WriteUInt32LittleEndian(header[16..], 65535);
        BinaryPrimitives.WriteUInt32LittleEndian(header[20..], linkType);
        stream.Write(header);
        uint second = 1_700_000_000;
        Span<byte> record = stackalloc byte[16];
        foreach (byte[] packet in packets)
        {
            record.Clear();
            BinaryPrimitives.WriteUInt32LittleEndian(record, second++);
            BinaryPrimitives.WriteUInt32LittleEndian(record[8..], (uint)packet.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(record[12..], (uint)packet.Length);
            stream.Write(record);
            stream.Write(packet);
        }

        return path;
    }

    /// <summary>
    /// Runs tshark with checksum validation on and returns, per packet, the requested fields (tab-separated by
    /// tshark, split here; multiple occurrences of a field are comma-joined, outermost first).
    /// </summary>
    public static List<string[]> Dissect(string pcap, string[] decodeAs, params string[] fields)
    {
        List<string> args =
        [
            "-n", "-r", pcap,
            "-o", "ip.check_checksum:TRUE",
            "-o", "udp.check_checksum:TRUE",
            "-o", "tcp.check_checksum:TRUE",
            "-o", "tcp.analyze_sequence_numbers:FALSE",
            "-o", "tcp.relative_sequence_numbers:FALSE",
            "-T", "fields", "-E", "separator=/t", "-E", "occurrence=a", "-E", "aggregator=,",
        ];
        foreach (string d in decodeAs)
        {
            args.Add("-d");
            args.Add(d);
        }

        foreach (string f in fields)
        {
            args.Add("-e");
            args.Add(f);
        }

        try
        {
            string output = Tools.Check("tshark", [.. args]);
            return [.. output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => line.Split('\t'))];
        }
        finally
        {
            File.Delete(pcap);
        }
    }

    public static void RequireTshark() =>
        Assert.SkipUnless(Tools.Exists("tshark"), "tshark is not installed (test.sh installs it from Debian)");
}
