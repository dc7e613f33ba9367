using System.Collections;
using System.Collections.Generic;

namespace Rx.WebSockets.Http;

/// <summary>
/// An HTTP header section (RFC 9110 §5): an ordered list of fields with case-insensitive names, where a name may
/// repeat.
/// </summary>
/// <remarks>Thread-safety: not thread-safe while being built; safe for concurrent reads once no longer changed.</remarks>
public sealed class HttpHeaders : IReadOnlyList<KeyValuePair<string, string>>
{
    // The first two fields live in the object itself: a request from a load tester or a plain client (Host, maybe
    // one more) and the typical handler response (Content-Type) then cost no list and no array.
    private const int InlineCount = 2;

    private KeyValuePair<string, string> _field0;
    private KeyValuePair<string, string> _field1;
    private KeyValuePair<string, string>[]? _more;
    private int _count;
    private int _version;

    /// <summary>The number of fields (a repeated name counts once per line).</summary>
    public int Count => _count;

    /// <summary>The field at <paramref name="index"/>, in the order received.</summary>
    /// <param name="index">The position.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is negative or not less than <see cref="Count"/>.</exception>
    public KeyValuePair<string, string> this[int index]
    {
        get
        {
            if ((uint)index >= (uint)_count)
            {
                ThrowIndexOutOfRange(index);
            }

            return index switch
            {
                0 => _field0,
                1 => _field1,
                _ => _more![index - InlineCount],
            };
        }
    }

    /// <summary>Appends a field.</summary>
    /// <param name="name">The field name.</param>
    /// <param name="value">The field value, already trimmed of surrounding whitespace.</param>
    /// <returns>This instance.</returns>
    public HttpHeaders Add(string name, string value)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(value);
        SetAt(_count, new KeyValuePair<string, string>(name, value));
        _count++;
        _version++;
        return this;
    }

    /// <summary>Removes every field named <paramref name="name"/>.</summary>
    /// <param name="name">The field name.</param>
    /// <returns>How many fields were removed.</returns>
    public int Remove(string name)
    {
        int kept = 0;
        for (int i = 0; i < _count; i++)
        {
            var field = this[i];
            if (!string.Equals(field.Key, name, StringComparison.OrdinalIgnoreCase))
            {
                if (kept != i)
                {
                    SetAt(kept, field);
                }

                kept++;
            }
        }

        int removed = _count - kept;
        for (int i = kept; i < _count; i++)
        {
            SetAt(i, default); // drop the references
        }

        _count = kept;
        _version++;
        return removed;
    }

    /// <summary>Replaces every field named <paramref name="name"/> with one field.</summary>
    /// <param name="name">The field name.</param>
    /// <param name="value">The value.</param>
    /// <returns>This instance.</returns>
    public HttpHeaders Set(string name, string value)
    {
        Remove(name);
        return Add(name, value);
    }

    /// <summary>Whether a field named <paramref name="name"/> is present.</summary>
    /// <param name="name">The field name (case-insensitive).</param>
    /// <returns><see langword="true"/> when present.</returns>
    public bool Contains(string name) => IndexOf(name, 0) >= 0;

    /// <summary>How many lines carry the field <paramref name="name"/>.</summary>
    /// <param name="name">The field name (case-insensitive).</param>
    /// <returns>The number of lines.</returns>
    public int CountOf(string name)
    {
        int count = 0;
        for (int i = IndexOf(name, 0); i >= 0; i = IndexOf(name, i + 1))
        {
            count++;
        }

        return count;
    }

    /// <summary>Gets the value of the first field named <paramref name="name"/>.</summary>
    /// <param name="name">The field name (case-insensitive).</param>
    /// <param name="value">The value, or null.</param>
    /// <returns><see langword="true"/> when present.</returns>
    public bool TryGetValue(string name, out string? value)
    {
        int i = IndexOf(name, 0);
        value = i >= 0 ? this[i].Value : null;
        return i >= 0;
    }

    /// <summary>The value of the first field named <paramref name="name"/>, or null.</summary>
    /// <param name="name">The field name (case-insensitive).</param>
    /// <returns>The value, or null.</returns>
    public string? Get(string name) => TryGetValue(name, out var value) ? value : null;

    /// <summary>Every value of the field <paramref name="name"/>, in order.</summary>
    /// <param name="name">The field name (case-insensitive).</param>
    /// <returns>The values.</returns>
    public IEnumerable<string> GetValues(string name)
    {
        for (int i = IndexOf(name, 0); i >= 0; i = IndexOf(name, i + 1))
        {
            yield return this[i].Value;
        }
    }

    /// <summary>
    /// The elements of a comma-separated list field (RFC 9110 §5.6.1) across all its lines, trimmed, with empty
    /// elements dropped.
    /// </summary>
    /// <param name="name">The field name (case-insensitive).</param>
    /// <returns>The list elements.</returns>
    public IEnumerable<string> GetListElements(string name)
    {
        foreach (var value in GetValues(name))
        {
            foreach (var element in value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                yield return element;
            }
        }
    }

    /// <summary>Whether the list field <paramref name="name"/> contains <paramref name="token"/> (case-insensitive), e.g. <c>Connection: keep-alive, Upgrade</c>.</summary>
    /// <param name="name">The field name.</param>
    /// <param name="token">The token.</param>
    /// <returns><see langword="true"/> when one list element equals the token.</returns>
    public bool ContainsToken(string name, string token)
    {
        foreach (var element in GetListElements(name))
        {
            if (string.Equals(element, token, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    /// <inheritdoc/>
    /// <exception cref="InvalidOperationException">The headers changed during the enumeration.</exception>
    public IEnumerator<KeyValuePair<string, string>> GetEnumerator()
    {
        int version = _version;
        for (int i = 0; i < _count; i++)
        {
            if (version != _version)
            {
                throw new InvalidOperationException("The headers changed during the enumeration.");
            }

            yield return this[i];
        }

        if (version != _version)
        {
            throw new InvalidOperationException("The headers changed during the enumeration.");
        }
    }

    /// <inheritdoc/>
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private int IndexOf(string name, int start)
    {
        for (int i = start; i < _count; i++)
        {
            if (string.Equals(this[i].Key, name, StringComparison.OrdinalIgnoreCase))
            {
                return i;
            }
        }

        return -1;
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    [System.Diagnostics.StackTraceHidden]
    private static void ThrowIndexOutOfRange(int index) =>
        throw new ArgumentOutOfRangeException(nameof(index), index, "The index is outside the header list.");

    private void SetAt(int index, KeyValuePair<string, string> field)
    {
        switch (index)
        {
            case 0:
                _field0 = field;
                return;
            case 1:
                _field1 = field;
                return;
        }

        int at = index - InlineCount;
        if (_more is null)
        {
            _more = new KeyValuePair<string, string>[4];
        }
        else if (at == _more.Length)
        {
            Array.Resize(ref _more, _more.Length * 2);
        }

        _more[at] = field;
    }
}
