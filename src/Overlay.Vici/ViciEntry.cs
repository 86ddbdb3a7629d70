namespace Overlay.Vici;

/// <summary>
/// One entry of a <see cref="ViciMessage"/>: a key-value pair, a section or a list, with its name. Values are
/// bytes on the wire (charon sends text); <see cref="ViciMessage"/> has typed accessors.
/// </summary>
public readonly record struct ViciEntry
{
    private readonly object? _content;

    private ViciEntry(ViciEntryKind kind, string name, ReadOnlyMemory<byte> value, object? content)
    {
        Kind = kind;
        Name = name;
        Value = value;
        _content = content;
    }

    /// <summary>What the entry is.</summary>
    public ViciEntryKind Kind { get; }

    /// <summary>The key, section or list name (at most 255 bytes of UTF-8).</summary>
    public string Name { get; }

    /// <summary>The value of a <see cref="ViciEntryKind.KeyValue"/> entry (at most 65,535 bytes); empty otherwise.</summary>
    public ReadOnlyMemory<byte> Value { get; }

    /// <summary>The message of a <see cref="ViciEntryKind.Section"/> entry; null otherwise.</summary>
    public ViciMessage? Section => _content as ViciMessage;

    /// <summary>The items of a <see cref="ViciEntryKind.List"/> entry (each at most 65,535 bytes); null otherwise.</summary>
    public IReadOnlyList<ReadOnlyMemory<byte>>? Items => _content as IReadOnlyList<ReadOnlyMemory<byte>>;

    /// <summary>A key-value entry.</summary>
    /// <param name="name">The key.</param>
    /// <param name="value">The value.</param>
    /// <returns>The entry.</returns>
    public static ViciEntry KeyValue(string name, ReadOnlyMemory<byte> value) => new(ViciEntryKind.KeyValue, name, value, null);

    /// <summary>A section entry.</summary>
    /// <param name="name">The section's name.</param>
    /// <param name="section">Its content.</param>
    /// <returns>The entry.</returns>
    public static ViciEntry SectionOf(string name, ViciMessage section)
    {
        ArgumentNullException.ThrowIfNull(section);
        return new(ViciEntryKind.Section, name, default, section);
    }

    /// <summary>A list entry.</summary>
    /// <param name="name">The list's name.</param>
    /// <param name="items">Its items.</param>
    /// <returns>The entry.</returns>
    public static ViciEntry ListOf(string name, IReadOnlyList<ReadOnlyMemory<byte>> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        return new(ViciEntryKind.List, name, default, items);
    }

    /// <summary>The entry's kind and name; never its value (values can be secrets).</summary>
    /// <returns>For example <c>KeyValue data (64 bytes)</c>.</returns>
    public override string ToString() => Kind switch
    {
        ViciEntryKind.KeyValue => $"KeyValue {Name} ({Value.Length} bytes)",
        ViciEntryKind.Section => $"Section {Name} ({Section!.Count} entries)",
        _ => $"List {Name} ({Items!.Count} items)",
    };
}
