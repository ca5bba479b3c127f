// One terminal line drawn from styled segments. Lines are cut to width
// before they get here; `truncate` is only the safety net against wrapping.

import React from 'react';
import { Text } from 'ink';
import { tint, type Seg } from './text.js';

export function Line(props: { segs: Seg[] }): React.JSX.Element {
  return (
    <Text wrap="truncate">
      {props.segs.map((s, i) => (
        <Text key={i} color={tint(s.color)} bold={s.bold} dimColor={s.dim} inverse={s.inverse}>{s.text}</Text>
      ))}
    </Text>
  );
}
